#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// One look at an upload in the drop directory: whether it is complete, when it last changed, how urgent it says it
/// is, and what was read to tell, kept so that the take that follows does not walk, read or parse it again.
struct UploadLook {
    /// A directory upload's walk and manifest.
    struct Directory {
        var tree: BundleTree
        /// nil when the walk refused the bundle before the manifest was worth reading.
        var manifest: FileOperations.SmallFile?
        /// The manifest parsed under `limits`, when its bytes were read.
        var reading: Manifest.Reading?
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
    var directory: Directory?
    var zip: Zip?

    /// Looks at `name` in `drop`; nil when it is gone. An I/O failure makes the upload look complete and keeps nothing,
    /// so the take reads it itself and reports the failure.
    static func look(at name: String, in drop: String, limits: IntakeSettings, today: Date) -> UploadLook? {
        let path = drop + "/" + name
        guard let info = FileOperations.lstat(path) else { return nil }
        let quiet = FileOperations.lastChange(info)
        if FileOperations.isDirectory(info) {
            var look = (try? directory(path, limits: limits, today: today)) ?? UploadLook(observation: .init(complete: true, lastChange: quiet))
            if look.directory != nil { look.identity = Identity(info, seenAt: today.timeIntervalSince1970) }
            return look
        }
        var look = UploadLook(observation: .init(complete: true, lastChange: quiet))
        if FileOperations.isRegular(info), name.lowercased().hasSuffix(".zip"),
           let fd = try? FileOperations.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) {
            defer { close(fd) }
            let end = ZipInspector.endRecord(fd: fd, fileSize: UInt64(info.st_size))
            look.observation.complete = end != nil
            look.zip = end.map { Zip(size: UInt64(info.st_size), lastChange: quiet, end: $0) }
        }
        // Anything else (a stray file, a symlink) is "complete": once quiet it is taken and rejected with a reason.
        return look
    }

    private static func directory(_ path: String, limits: IntakeSettings, today: Date) throws -> UploadLook {
        let root = try FileOperations.openDirectory(path)
        defer { close(root) }
        let tree = try BundleTree.walk(root, info: try FileOperations.stat(fd: root, display: "bundle"), limits: limits)
        var look = UploadLook(observation: .init(complete: true, lastChange: tree.lastChange))
        // A refused bundle is judged at once (once quiet), and intake gives the precise reason.
        guard tree.refusal == nil else {
            look.directory = Directory(tree: tree, limits: limits)
            return look
        }
        let manifest = try BundleTree.readManifest(root)
        var directory = Directory(tree: tree, manifest: manifest, limits: limits)
        if case .bytes(let bytes) = manifest {
            let reading = Manifest.read(bytes, limits: limits, today: today)
            directory.reading = reading
            if case .success(let parsed) = reading.result {
                look.observation.complete = parsed.files.allSatisfy { (tree.files[$0.path] ?? -1) >= $0.size }
                look.priorityHint = parsed.priority
            }
            // Unreadable or invalid: maybe still being written. Once quiet, it is taken and refused with the reason.
        } else if case .missing = manifest {
            look.observation.complete = false
        }
        look.directory = directory
        return look
    }
}
