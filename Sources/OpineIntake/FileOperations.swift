#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import OpineCore
import OpineStore

/// A failed system call during intake. The upload stays where it is and is tried again later; this is never a reason
/// to reject a patient's bundle.
public struct IOFailure: Error, CustomStringConvertible, Sendable {
    /// The call that failed, such as `open` or `rename` (`… (injected)` when a test made it fail).
    public var operation: String
    /// The path it acted on, escaped when shown.
    public var path: String
    /// The errno it failed with.
    public var code: Int32

    /// The call, the path and the system's message for the errno, for the log and `opine status`.
    public var description: String { "\(operation) \(path.escapedForDisplay): \(String(cString: strerror(code)))" }
    /// Out of space or quota: intake is reported blocked by a full disk until space returns.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
}

/// Every file-system call intake makes goes through here: one narrow seam, so the order of operations is in one place
/// and failures can be injected by tests. Paths from an upload are always opened relative to a directory descriptor
/// with O_NOFOLLOW on every component, so a symlink swapped in after the check can never redirect a read.
package enum FileOperations {
    static func fail(_ operation: String, _ path: String) -> IOFailure {
        IOFailure(operation: operation, path: path, code: errno)
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o640) throws(IOFailure) -> Int32 {
        try FaultInjection.check(.open, path)
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail("open", path) }
        return fd
    }

    static func openDirectory(_ path: String) throws(IOFailure) -> Int32 {
        try open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
    }

    /// Opens `relative` (a checked bundle path) beneath `root` without following any symlink on the way.
    static func openBeneath(_ root: Int32, _ relative: String, display: String) throws(IOFailure) -> Int32 {
        var folders = FolderCache()
        defer { folders.close() }
        return try openBeneath(root, relative, display: display, folders: &folders)
    }

    /// The folder of the last file opened beneath a root, kept open: a study's 2,048 files share one.
    struct FolderCache {
        fileprivate var path: ArraySlice<Substring>?
        fileprivate var fd: Int32 = -1

        mutating func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
            path = nil
        }
    }

    /// `openBeneath`, reusing `folders` when the file's folder is the one opened last.
    static func openBeneath(_ root: Int32, _ relative: String, display: String, folders: inout FolderCache) throws(IOFailure) -> Int32 {
        try FaultInjection.check(.open, display)
        let components = relative.split(separator: "/")
        let parent = components.dropLast()
        if folders.path != parent {
            folders.close()
            var directory = dup(root)
            guard directory >= 0 else { throw fail("dup", display) }
            for component in parent {
                let next = openat(directory, String(component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                let saved = errno
                Glibc.close(directory)
                guard next >= 0 else { throw IOFailure(operation: "open", path: display, code: saved) }
                directory = next
            }
            folders.fd = directory
            folders.path = parent
        }
        // O_NONBLOCK keeps a FIFO planted under a listed name from blocking intake; the caller checks it is regular.
        let fd = openat(folders.fd, components.last.map(String.init) ?? ".", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open", display) }
        return fd
    }

    static func stat(fd: Int32, display: String) throws(IOFailure) -> stat {
        var info = Glibc.stat()
        guard fstat(fd, &info) == 0 else { throw fail("fstat", display) }
        return info
    }

    static func lstat(_ path: String) -> stat? {
        var info = Glibc.stat()
        return Glibc.lstat(path, &info) == 0 ? info : nil
    }

    static func makeDirectory(_ path: String, mode: mode_t = 0o750) throws(IOFailure) {
        try FaultInjection.check(.mkdir, path)
        if Glibc.mkdir(path, mode) != 0, errno != EEXIST { throw fail("mkdir", path) }
    }

    /// Creates `path` and any missing parents (used for the service's own directories, never for upload paths).
    package static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws(IOFailure) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            try makeDirectory(current, mode: mode)
        }
    }

    static func createExclusive(_ path: String) throws(IOFailure) -> Int32 {
        try open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o640)
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, display: String) throws(IOFailure) {
        try FaultInjection.check(.write, display)
        try writeChecked(fd, buffer, display: display)
    }

    /// `write` once fault injection has been consulted (`ChunkWriter` consults it on the intake thread and writes on
    /// its own).
    static func writeChecked(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, display: String) throws(IOFailure) {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw fail("write", display)
            }
            offset += written
        }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, display: String) throws(IOFailure) -> Int {
        try FaultInjection.check(.read, display)
        while true {
            let count = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw fail("read", display) }
        }
    }

    static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, display: String) throws(IOFailure) -> Int {
        try FaultInjection.check(.read, display)
        while true {
            let count = Glibc.pread(fd, buffer.baseAddress!, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw fail("read", display) }
        }
    }

    /// An fsync failure means the data may be gone; the caller must give up this attempt, never retry the fsync.
    static func sync(_ fd: Int32, display: String) throws(IOFailure) {
        try FaultInjection.check(.fsync, display)
        guard fsync(fd) == 0 else { throw fail("fsync", display) }
    }

    /// Asks the kernel to start writing the file's data to disk now, without waiting, so the bundle's `syncfs`
    /// (`StagingSync`) later finds it mostly done. Only a hint: errors surface at that sync.
    static func startWriteback(_ fd: Int32) {
        _ = sync_file_range(fd, 0, 0, OPINE_SYNC_FILE_RANGE_WRITE)
    }

    /// Makes a rename or a new entry in `path` durable. Failing is as serious as a failed fsync of a file.
    static func syncDirectory(_ path: String) throws(IOFailure) {
        let fd = try openDirectory(path)
        defer { close(fd) }
        try FaultInjection.check(.directoryFsync, path)
        guard fsync(fd) == 0 else { throw fail("fsync", path) }
    }

    /// rename(2) that refuses to replace an existing target. Only the daemon writes these folders, so checking first
    /// is enough (glibc's renameat2 is not visible to Swift).
    static func renameNoReplace(_ from: String, _ to: String) throws(IOFailure) {
        try FaultInjection.check(.rename, from)
        guard lstat(to) == nil else { throw IOFailure(operation: "rename", path: to, code: EEXIST) }
        guard rename(from, to) == 0 else { throw fail("rename", from) }
    }

    /// Removes a tree so that a crash part-way never leaves a part-deleted folder under its old name: it is renamed
    /// to `hiddenName` in the same directory first (atomic, made durable), then deleted. Whoever owns the directory
    /// deletes leftover hidden names at start-up.
    static func removeTreeAtomically(_ path: String, hiddenName: String) throws(IOFailure) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let hidden = directory + "/" + hiddenName
        try renameNoReplace(path, hidden)
        try syncDirectory(directory)
        try removeTree(hidden)
    }

    static func unlink(_ path: String) throws(IOFailure) {
        try FaultInjection.check(.unlink, path)
        if Glibc.unlink(path) != 0, errno != ENOENT { throw fail("unlink", path) }
    }

    /// Removes a file or a whole tree without following symlinks inside it.
    static func removeTree(_ path: String) throws(IOFailure) {
        guard let info = lstat(path) else { return }
        if info.st_mode & S_IFMT != S_IFDIR {
            try FaultInjection.check(.unlink, path)
            if Glibc.unlink(path) != 0, errno != ENOENT { throw fail("unlink", path) }
            return
        }
        let fd = try openDirectory(path)
        defer { close(fd) }
        try removeContents(of: fd, display: path)
        try FaultInjection.check(.unlink, path)
        if rmdir(path) != 0, errno != ENOENT { throw fail("rmdir", path) }
    }

    /// Each entry is a step a test can fail, so a removal cut short (as a crash would) is tested too.
    private static func removeContents(of directory: Int32, display: String) throws(IOFailure) {
        for (name, type) in try listDirectory(directory, display: display) {
            let path = display + "/" + name
            if type == DT_DIR {
                let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw fail("open", path) }
                defer { close(child) }
                try removeContents(of: child, display: path)
                try FaultInjection.check(.unlink, path)
                if unlinkat(directory, name, AT_REMOVEDIR) != 0, errno != ENOENT { throw fail("rmdir", path) }
            } else {
                try FaultInjection.check(.unlink, path)
                if unlinkat(directory, name, 0) != 0, errno != ENOENT { throw fail("unlink", path) }
            }
        }
    }

    /// Entry names (not . or ..) and their d_type; DT_UNKNOWN is resolved with fstatat so callers can trust the type.
    static func listDirectory(_ directory: Int32, display: String) throws(IOFailure) -> [(String, UInt8)] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else { throw fail("opendir", display) }
        defer { closedir(stream) }
        rewinddir(stream)
        var entries: [(String, UInt8)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var info = Glibc.stat()
                if fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                    type = info.st_mode & S_IFMT == S_IFDIR ? UInt8(DT_DIR) : info.st_mode & S_IFMT == S_IFREG ? UInt8(DT_REG) : UInt8(DT_LNK)
                }
            }
            entries.append((name, type))
        }
        return entries
    }

    /// Raw entry names as bytes, for checking that an upload's names are valid UTF-8 before they become Strings.
    static func listDirectoryRaw(_ directory: Int32, display: String) throws(IOFailure) -> [[UInt8]] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else { throw fail("opendir", display) }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            names.append(bytes)
        }
        return names
    }

    /// Writes a small file durably: temporary name, fsync, rename, directory fsync.
    static func writeDurably(_ data: [UInt8], to path: String) throws {
        try replaceAtomically(data, at: path, mode: 0o640, durable: true)
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Replaces `path` by writing a temporary beside it and renaming, so readers see the old or the new content,
    /// never a torn one. `durable` adds the fsyncs (a heartbeat or a metrics file does not need them) and marks
    /// intake's own writes, the ones fault injection may fail.
    package static func replaceAtomically(_ data: [UInt8], at path: String, mode: mode_t, durable: Bool) throws {
        let temporary = path + ".tmp"
        _ = Glibc.unlink(temporary)
        if durable { try FaultInjection.check(.open, temporary) }
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw fail("open", temporary) }
        do {
            _ = fchmod(fd, mode)
            if durable { try FaultInjection.check(.write, temporary) }
            try data.withUnsafeBytes { buffer in try writeChecked(fd, buffer, display: temporary) }
            if durable { try sync(fd, display: temporary) }
        } catch {
            close(fd)
            _ = Glibc.unlink(temporary)
            throw error
        }
        close(fd)
        if durable {
            do { try FaultInjection.check(.rename, temporary) } catch {
                _ = Glibc.unlink(temporary)
                throw error
            }
        }
        guard rename(temporary, path) == 0 else { throw fail("rename", temporary) }
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
    static func isRegular(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }

    /// The later of mtime and ctime: ctime cannot be set by an uploader, so it tells when a file last changed.
    static func lastChange(_ info: stat) -> Double {
        let m = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        let c = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
        return max(m, c)
    }
}
