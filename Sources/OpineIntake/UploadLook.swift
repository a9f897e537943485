#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// One look at an upload in the drop directory: whether it is complete, when it last changed, how urgent it says it
/// is, and what was read to tell, kept so that the take that follows does not read or parse the manifest (or a zip's
/// end record) again.
struct UploadLook {
    /// A directory upload's manifest as readiness read and parsed it. The take walks the tree itself (a file
    /// added since the look must be seen), but reads and parses the manifest again only if its stamp changed.
    struct Directory {
        var manifest: [UInt8]
        var stamp: BundleTree.ManifestStamp
        /// The manifest parsed under `limits`.
        var reading: Manifest.Reading
        var limits: IntakeSettings
    }

    /// Which file system object the look saw, and when.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var change: Double
        var seenAt: Double

        init(_ info: stat, seenAt: Double) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            change = FileOperations.lastChange(info)
            self.seenAt = seenAt
        }
    }

    /// How long a look stays good for its take: longer, and the upload is read again.
    static let freshSeconds = 1.0

    /// Whether the take may use what this look read: the same object, unchanged, looked at moments ago.
    func isCurrent(for info: stat, now: Double) -> Bool {
        guard let identity else { return false }
        let current = Identity(info, seenAt: identity.seenAt)
        return current == identity && now - identity.seenAt <= Self.freshSeconds
    }

    /// A zip upload's end record, valid while the file keeps this size and change time.
    struct Zip {
        var size: UInt64
        var lastChange: Double
        var end: ZipInspector.EndRecord
    }

    var observation: ReadinessPolicy.Observation
    /// The upload itself as the look found it (device, inode, change time) and when: a take uses the look only while
    /// both still hold, so a bundle replaced under the same name is read afresh.
    var identity: Identity?
    var priorityHint: Priority = .routine
    /// The bytes the upload holds as seen: every file of a directory, or the zip file's size. Decides the lane.
    var bytes: Int64 = 0
    var directory: Directory?
    var zip: Zip?

    /// Looks at `name` in `drop`; nil when it is gone. An entry that vanished mid-walk makes the upload look
    /// incomplete (it is changing); any other I/O failure makes it look complete and keeps nothing, so the take reads
    /// it itself and reports the failure.
    static func look(at name: String, in drop: String, limits: IntakeSettings, today: Date) -> UploadLook? {
        let path = drop + "/" + name
        guard let info = FileOperations.lstat(path) else { return nil }
        let quiet = FileOperations.lastChange(info)
        if FileOperations.isDirectory(info) {
            do {
                var look = try directory(path, limits: limits, today: today)
                if look.directory != nil { look.identity = Identity(info, seenAt: today.timeIntervalSince1970) }
                return look
            } catch let failure as IOFailure where failure.code == ENOENT {
                return UploadLook(observation: .init(complete: false, lastChange: quiet))
            } catch {
                return UploadLook(observation: .init(complete: true, lastChange: quiet))
            }
        }
        var look = UploadLook(observation: .init(complete: true, lastChange: quiet))
        if FileOperations.isRegular(info), name.lowercased().hasSuffix(".zip"),
           let fd = try? FileOperations.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) {
            defer { close(fd) }
            let end = ZipInspector.endRecord(fd: fd, fileSize: UInt64(info.st_size))
            look.observation.complete = end != nil
            if end == nil { look.observation.note(.zipEnd) }
            look.bytes = Int64(info.st_size)
            look.zip = end.map { Zip(size: UInt64(info.st_size), lastChange: quiet, end: $0) }
            if let zip = look.zip { look.priorityHint = zipPriority(path, zip: zip, limits: limits, today: today) }
        }
        // Anything else (a stray file, a symlink) is "complete": once quiet it is taken and rejected with a reason.
        return look
    }

    /// A zip's priority hint, from its `manifest.json` found through the central directory, under the same bounds
    /// the take applies (entry count, sizes, the manifest's own size), so a zip emergency ranks like a directory
    /// one. Anything unreadable ranks routine: the take reports why.
    private static func zipPriority(_ path: String, zip: Zip, limits: IntakeSettings, today: Date) -> Priority {
        guard let reader = try? ZipBundleReader(path: path, limits: limits, looked: zip),
              let bytes = try? reader.manifestBytes(),
              case .success(let manifest) = Manifest.read(bytes, limits: limits, today: today).result
        else { return .routine }
        return manifest.priority
    }

    private static func directory(_ path: String, limits: IntakeSettings, today: Date) throws -> UploadLook {
        let root = try FileOperations.openDirectory(path)
        defer { close(root) }
        let tree = try BundleTree.walk(root, info: try FileOperations.stat(fd: root, display: "bundle"), limits: limits, mode: .lenient)
        var look = UploadLook(observation: .init(complete: true, lastChange: tree.lastChange))
        look.bytes = tree.files.values.reduce(0, +)
        // Too many entries to judge cheaply: intake takes it once quiet and refuses it for its size.
        guard !tree.exhausted else { return look }
        let before = BundleTree.manifestStamp(root)
        let manifest = try BundleTree.readManifest(root)
        switch manifest {
        case .missing:
            look.observation.complete = false
            look.observation.note(.manifest)
        case .bytes(let bytes):
            let reading = Manifest.read(bytes, limits: limits, today: today)
            if case .success(let parsed) = reading.result {
                look.observation = ReadinessPolicy.observe(
                    parsed.files, sizes: tree.files, special: tree.special, lastChange: tree.lastChange)
                look.priorityHint = parsed.priority
            }
            // Unreadable or invalid: maybe still being written. Once quiet, it is taken and refused with the reason.
            if let before, before == BundleTree.manifestStamp(root) {
                look.directory = Directory(manifest: bytes, stamp: before, reading: reading, limits: limits)
            }
        case .notRegular, .tooLarge:
            break  // Judged at once (once quiet) and refused with the precise reason by intake.
        }
        return look
    }
}
