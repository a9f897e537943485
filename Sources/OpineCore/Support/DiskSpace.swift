#if canImport(Glibc)
import Glibc
#endif

/// Free space where opined writes, so `opine status` can name a full disk even when opined cannot write its
/// heartbeat to say so.
public enum DiskSpace {
    /// Below this, intake, SQLite and the heartbeat may all fail: a bundle alone can be larger.
    public static let lowBytes: Int64 = 64 << 20

    /// Bytes available to an unprivileged writer on the file system holding `path`, or nil if it cannot be read.
    public static func available(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
