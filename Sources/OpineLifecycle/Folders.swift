import Foundation
import OpineCore
import OpineStore

/// A set-aside folder in `orphaned/`, as `opine orphaned` lists it.
public struct OrphanedFolder: Sendable, Equatable {
    /// The folder's name under `orphaned/`.
    public var name: String
    /// When it was last written (its modification time): the crash that left it, near enough.
    public var writtenAt: Date
    /// How many files it holds, at any depth.
    public var files: Int
    /// Their bytes together.
    public var bytes: Int64
}

/// Reading and removing the folders the purge deals with. Names come from the database or a listing; one that is
/// not a plain name is refused, so nothing outside the directory can be touched.
public enum Folders {
    /// The set-aside folders in `directory`, oldest first; hidden names (removals in progress) are left out.
    public static func orphaned(in directory: String) -> [OrphanedFolder] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { name in
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
            let written = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
            let files = walk(path)
            return OrphanedFolder(name: name, writtenAt: written, files: files.count, bytes: files.reduce(0) { $0 + $1.size })
        }.sorted { $0.writtenAt < $1.writtenAt }
    }

    /// Every regular file under `folder` (relative path and size), without following symbolic links.
    static func walk(_ folder: String) -> [(path: String, size: Int64)] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [(String, Int64)] = []
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            guard lstat(folder + "/" + relative, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            files.append((relative, Int64(info.st_size)))
        }
        return files
    }

    /// The `FolderDigest` of a folder's regular files, with their count and bytes; `progress` is called per file,
    /// so a long hash keeps the watchdog fed.
    static func digest(_ folder: String, progress: () -> Void) -> (sha256: String, files: Int, bytes: Int64) {
        var entries: [(path: String, sha256: String, size: Int64)] = []
        for file in walk(folder) {
            let hashed = CaseStore.sha256(ofFileAt: folder + "/" + file.path)
            entries.append((file.path, hashed?.0 ?? "unreadable", hashed?.1 ?? file.size))
            progress()
        }
        return (FolderDigest.of(entries), entries.count, entries.reduce(0) { $0 + $1.size })
    }

    /// Removes `name` under `directory` and everything in it (symbolic links themselves, never their targets); an
    /// absent folder is already removed.
    static func remove(_ name: String, in directory: String) throws {
        guard isPlainName(name) else { throw PurgeError(description: "refusing to remove \(name.escapedForDisplay): not a plain folder name") }
        let path = directory + "/" + name
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        try FileManager.default.removeItem(atPath: path)
    }

    /// The first of `directories` whose entries this process cannot remove: one another user owns (case folders are
    /// 0750 and `rejected/` 2750, so the `opine` group may read but only the service user may unlink), or that
    /// `access(W_OK)` refuses. nil when all can be purged; an absent directory has nothing to remove.
    static func notRemovable(_ directories: [String]) -> (directory: String, owner: String)? {
        let euid = geteuid()
        for directory in directories {
            var info = stat()
            guard stat(directory, &info) == 0 else { continue }
            if (euid != 0 && info.st_uid != euid) || access(directory, W_OK | X_OK) != 0 {
                let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
                return (directory, owner)
            }
        }
        return nil
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }
}

/// The purge was not started: this user cannot remove what it would remove. Nothing was tombstoned.
public struct PurgePermissionError: Error, CustomStringConvertible, Sendable {
    /// Names the directory, its owner and the fix.
    public var description: String
}

/// A removal the purge could not make; the next purge tries again.
public struct PurgeError: Error, CustomStringConvertible, Sendable {
    /// Names what failed and why.
    public var description: String
}
