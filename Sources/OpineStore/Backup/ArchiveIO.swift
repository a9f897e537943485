#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A backup or restore that could not read or write a file; the message names the path, the cause and the fix.
public struct ArchiveIOError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public var description: String

    static func errno(_ what: String, _ path: String) -> ArchiveIOError {
        ArchiveIOError(description: "\(path.escapedForDisplay): cannot \(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// The few POSIX calls backup and restore share: exclusive creation, whole writes, reads, fsync.
enum ArchiveIO {
    /// Opens `path` for reading without following a final symlink.
    static func openForReading(_ path: String) throws(ArchiveIOError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw .errno("open it", path) }
        return fd
    }

    /// Creates `path`, which must not exist (not even as a symlink), with `mode`.
    static func createExclusive(_ path: String, mode: mode_t) throws(ArchiveIOError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw .errno("create it", path) }
        _ = fchmod(fd, mode)
        return fd
    }

    /// Writes all of `buffer`, retrying short writes and interruptions.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, display: String) throws(ArchiveIOError) {
        var done = 0
        while done < buffer.count {
            let written = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw .errno("write", display)
            }
            done += written
        }
    }

    /// Writes all of `bytes`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], display: String) throws(ArchiveIOError) {
        guard !bytes.isEmpty else { return }
        let failure: ArchiveIOError? = bytes.withUnsafeBytes { raw in
            do throws(ArchiveIOError) { try writeAll(fd, raw, display: display) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, display: String) throws(ArchiveIOError) -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if count >= 0 { return count }
            if Glibc.errno != EINTR { throw .errno("read", display) }
        }
    }

    /// Makes a file's data durable.
    static func sync(_ fd: Int32, display: String) throws(ArchiveIOError) {
        guard fsync(fd) == 0 else { throw .errno("flush it to disk", display) }
    }

    /// Makes a directory's entries (a new name in it) durable.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Creates one directory with `mode`; an existing one is fine when `existingOK`.
    static func makeDirectory(_ path: String, mode: mode_t = 0o750, existingOK: Bool = true) throws(ArchiveIOError) {
        if mkdir(path, mode) == 0 { return }
        if Glibc.errno == EEXIST, existingOK, let info = lstatInfo(path), info.st_mode & S_IFMT == S_IFDIR { return }
        throw .errno("create the folder", path)
    }

    /// `lstat`, nil when the path does not exist or cannot be examined.
    static func lstatInfo(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }
}
