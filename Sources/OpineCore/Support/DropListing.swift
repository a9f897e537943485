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
            let missing = walk.exhausted ? nil : missingFiles(path, files: walk.files, limits: limits, today: today)
            return .init(name: name, kind: .directory, lastChange: walk.lastChange, missing: missing)
        case S_IFREG where name.lowercased().hasSuffix(".zip"):
            let ended = hasZipEndRecord(path, size: Int(info.st_size))
            return .init(name: name, kind: .zip, lastChange: lastChange(info), missing: ended ? nil : .init(zipEndRecord: true))
        default:
            return .init(name: name, kind: .other, lastChange: lastChange(info), missing: nil)
        }
    }

    /// What the manifest lists that is not there at its size; nil when the manifest cannot be judged yet (too large,
    /// not a file, invalid): opined takes such an upload once quiet and refuses it with the reason.
    static func missingFiles(_ path: String, files: [String: Int64], limits: IntakeSettings, today: Date) -> WaitingUploads.Missing? {
        let manifestPath = path + "/" + Manifest.fileName
        guard let info = lstatInfo(manifestPath) else { return .init(manifest: true) }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_size <= Manifest.maxBytes,
              let bytes = FileManager.default.contents(atPath: manifestPath),
              case .success(let manifest) = Manifest.read(Array(bytes), limits: limits, today: today).result
        else { return nil }
        var missing = WaitingUploads.Missing()
        for file in manifest.files {
            guard let size = files[file.path] else {
                missing.addAbsent(file.path)
                continue
            }
            if size < file.size { missing.addShort(file.path) }
        }
        return missing.isEmpty ? nil : missing
    }

    /// Whether the zip ends with an end-of-central-directory record whose comment ends the file, the first thing
    /// intake needs of a zip; a deeper check is intake's.
    static func hasZipEndRecord(_ path: String, size: Int) -> Bool {
        guard size >= 22, let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let window = min(size, 22 + 0xFFFF)
        guard (try? handle.seek(toOffset: UInt64(size - window))) != nil,
              let tail = try? handle.read(upToCount: window).map(Array.init), tail.count == window else { return false }
        for position in stride(from: window - 22, through: 0, by: -1)
        where tail[position] == 0x50 && tail[position + 1] == 0x4B && tail[position + 2] == 0x05 && tail[position + 3] == 0x06 {
            let comment = Int(tail[position + 20]) | Int(tail[position + 21]) << 8
            if position + 22 + comment == window { return true }
        }
        return false
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

    /// A bounded walk of a bundle folder: every entry's size by path (links and special files too, as readiness
    /// counts them) and the latest change. Over budget, it stops and the upload counts as complete, as in intake.
    private struct Walk {
        var budget: Int
        var lastChange: Double
        var files: [String: Int64] = [:]
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
                } else {
                    files[prefix + name] = Int64(info.st_size)
                }
            }
        }
    }
}
