#if canImport(Glibc)
import Glibc
#endif
import OpineCore

/// Reads an answers file (`opine pack --answers`) without ever holding more than `PackAnswers.maxBytes + 1` bytes: a
/// file that is too large is refused for its size by `PackAnswers.parse` after that much, however large it is.
public enum AnswersFile {
    /// The bytes of the answers file at `path` (a link is not followed), at most `PackAnswers.maxBytes + 1`. Throws
    /// `noInput` (66) only when nothing is there; a folder, link or device and an unreadable file are `invalid` (65),
    /// each with its own fix; a failing read is `io` (74).
    public static func read(_ path: String) throws(PackError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw openFailure(path, errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PackError(.io, "\(path.escapedForDisplay): cannot be read (\(String(cString: strerror(errno))))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let what = info.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a plain file"
            throw PackError(.invalid, "\(path.escapedForDisplay) is \(what); give the answers file itself with --answers")
        }
        let wanted = PackAnswers.maxBytes + 1
        var bytes = [UInt8](repeating: 0, count: wanted)
        var count = 0
        while count < wanted {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, wanted - count) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw PackError(.io, "\(path.escapedForDisplay): read failed (\(String(cString: strerror(errno))))") }
            if got == 0 { break }
            count += got
        }
        return Array(bytes.prefix(count))
    }

    private static func openFailure(_ path: String, _ code: Int32) -> PackError {
        switch code {
        case ENOENT, ENOTDIR:
            PackError(.noInput, "\(path.escapedForDisplay): no such file; give the answers file with --answers")
        case ELOOP:
            PackError(.invalid, "\(path.escapedForDisplay) is a symbolic link; give the answers file itself with --answers")
        case EACCES, EPERM:
            PackError(.invalid, "\(path.escapedForDisplay) cannot be read by this user (permission denied); make it readable, or run as a user who may read it")
        default:
            PackError(.io, "\(path.escapedForDisplay): cannot be opened (\(String(cString: strerror(code))))")
        }
    }
}
