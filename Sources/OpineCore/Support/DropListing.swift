import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `opine status`'s own look at the drop directory, so it can say what waits and why even while opined is down. It
/// mirrors readiness (`OpineIntake/UploadLook.swift`: the same manifest rule and quiet time) but only reads, and only
/// the uploads `WaitingUploads.oldest` picked. Like `DropBacklog`, it is a probe, not a decision.
public enum DropListing {
    /// Every upload in `directory` (names still in progress left out, as intake leaves them), or nil when the
    /// directory cannot be read.
    public static func entries(_ directory: String) -> [WaitingUploads.Entry]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        return names.filter { !ReadinessPolicy.isInProgressName($0) }.compactMap { name in
            lstatInfo(directory + "/" + name).map { WaitingUploads.Entry(name: name, lastChange: lastChange($0)) }
        }
    }

    /// A closer look at one upload: what it is, when anything in it last changed and what is missing; nil when it
    /// is gone. A walk or read that fails says "complete", as readiness does: opined then refuses it with a reason.
    public static func look(_ name: String, in directory: String, limits: IntakeSettings, today: Date) -> WaitingUploads.Seen? {
        let path = directory + "/" + name
        guard let info = lstatInfo(path) else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            var walk = Walk(budget: limits.maxFiles * 2 + 16, lastChange: lastChange(info))
            walk.walk(path, prefix: "")
            let complete = ReadinessPolicy.Observation(complete: true, lastChange: walk.lastChange)
            let seen = walk.exhausted ? complete : observe(path, walk: walk, limits: limits, today: today) ?? complete
            return .init(name: name, kind: .directory, observation: seen)
        case S_IFREG where name.lowercased().hasSuffix(".zip"):
            let ended = hasZipEndRecord(path, size: UInt64(info.st_size))
            return .init(name: name, kind: .zip, lastChange: lastChange(info), gaps: ended ? [] : [.zipEnd])
        default:
            return .init(name: name, kind: .other, lastChange: lastChange(info))
        }
    }

    /// What readiness sees of the folder: nil when the manifest cannot be judged yet (too large, not a file,
    /// invalid), as opined takes such an upload once quiet and refuses it with the reason.
    private static func observe(_ path: String, walk: Walk, limits: IntakeSettings, today: Date) -> ReadinessPolicy.Observation? {
        let manifestPath = path + "/" + Manifest.fileName
        guard lstatInfo(manifestPath) != nil else {
            return .init(complete: false, lastChange: walk.lastChange, gaps: [.manifest])
        }
        guard let bytes = readPlainFile(manifestPath, upTo: Int(Manifest.maxBytes)),
              case .success(let manifest) = Manifest.read(bytes, limits: limits, today: today).result
        else { return nil }
        return ReadinessPolicy.observe(manifest.files, sizes: walk.files, special: walk.special, lastChange: walk.lastChange)
    }

    /// Whether the zip ends with its end record, as intake first asks (`ZipEndRecord`); a deeper check is intake's.
    static func hasZipEndRecord(_ path: String, size: UInt64) -> Bool {
        guard size >= UInt64(ZipEndRecord.fixedBytes) else { return false }
        let window = min(size, UInt64(ZipEndRecord.tailBytes))
        guard let tail = readPlainFile(path, upTo: Int(window), from: size - window), tail.count == Int(window) else { return false }
        return ZipEndRecord.find(inTail: tail, fileSize: size) != nil
    }

    /// Up to `limit` bytes from `offset` of a plain file, opened as intake opens uploads: never through a link, never
    /// waiting on a FIFO swapped in after the look, and nil when it is not a plain file or larger than `limit` from
    /// the start. `opine status` may run as root from a monitoring check; it must neither hang nor read elsewhere.
    static func readPlainFile(_ path: String, upTo limit: Int, from offset: UInt64 = 0) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, offset > 0 || info.st_size <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: limit)
        var done = 0
        while done < limit {
            let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, limit - done, off_t(offset) + off_t(done)) }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { break }
            done += read
        }
        return Array(bytes.prefix(done))
    }

    private static func lstatInfo(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// The later of modification and status-change time, as intake measures quiet.
    static func lastChange(_ info: stat) -> Double {
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        let changed = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
        return max(modified, changed)
    }

    /// A bounded walk of a bundle folder, as intake's: every plain file's size by path, the paths of links and
    /// special files, and the latest change. Over budget, it stops and the upload counts as complete, as in intake.
    private struct Walk {
        var budget: Int
        var lastChange: Double
        var files: [String: Int64] = [:]
        var special = Set<String>()
        var exhausted = false

        mutating func walk(_ directory: String, prefix: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
            for name in names {
                budget -= 1
                guard budget > 0 else { return exhausted = true }
                guard let info = DropListing.lstatInfo(directory + "/" + name) else { continue }
                lastChange = max(lastChange, DropListing.lastChange(info))
                if info.st_mode & S_IFMT == S_IFDIR {
                    walk(directory + "/" + name, prefix: prefix + name + "/")
                    if exhausted { return }
                } else if info.st_mode & S_IFMT == S_IFREG {
                    files[prefix + name] = Int64(info.st_size)
                } else {
                    special.insert(prefix + name)
                }
            }
        }
    }
}
