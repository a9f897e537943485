#if canImport(Glibc)
import Glibc
#endif

extension FileOperations {
    /// A small regular file's bytes, read without following a symlink or blocking on a FIFO. `.notRegular` and
    /// `.tooLarge` let a caller judge a hostile upload without ever reading more than `limit` bytes.
    enum SmallFile {
        case bytes([UInt8])
        case missing
        case notRegular
        case tooLarge
    }

    static func readSmallFile(_ path: String, limit: Int) -> SmallFile {
        let fd: Int32
        do {
            fd = try open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        } catch {
            return error.code == ENOENT ? .missing : .notRegular
        }
        defer { close(fd) }
        return (try? readSmallFile(fd: fd, limit: limit, display: path)) ?? .notRegular
    }

    /// The same for a file already opened (with O_NOFOLLOW | O_NONBLOCK); never reads more than `limit` + 1 bytes.
    static func readSmallFile(fd: Int32, limit: Int, display: String) throws -> SmallFile {
        let info = try stat(fd: fd, display: display)
        guard isRegular(info) else { return .notRegular }
        guard info.st_size <= limit else { return .tooLarge }
        // Sized by what fstat said, not by the limit: a manifest is a few KiB and the limit 2 MiB, and zeroing 2 MiB
        // for every look and every take cost more than parsing. A file that grows after fstat still stops at limit + 1.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var total = 0
        while total <= limit {
            if total == bytes.count { bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit + 1 - total))) }
            let count = try bytes.withUnsafeMutableBytes { buffer in
                try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]), display: display)
            }
            if count == 0 { break }
            total += count
        }
        // A file can grow after fstat; the read bound still holds.
        return total > limit ? .tooLarge : .bytes(Array(bytes.prefix(total)))
    }
}
