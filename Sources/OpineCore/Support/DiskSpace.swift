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

/// The file systems opined writes to, by role: the one list that `opine status` and the metrics both measure. The raw
/// value is the `filesystem` metric label and the `free_bytes` key in `opine status --json`.
public enum FileSystemRole: String, Sendable, CaseIterable {
    /// The one holding the spool (`paths.spool`: the drop directory and `rejected/`).
    case spool
    /// The one holding the state directory (`paths.state`: the database, staging and the cases' files).
    case state

    /// The directory of this role in `configuration`.
    public func directory(in configuration: Configuration) -> String {
        switch self {
        case .spool: configuration.spoolDirectory
        case .state: configuration.stateDirectory
        }
    }
}

extension DiskSpace {
    /// Free space on every file system opined writes to; one that cannot be read is left out.
    public static func watched(_ configuration: Configuration) -> [DaemonHealth.FileSystem] {
        FileSystemRole.allCases.compactMap { role in
            let path = role.directory(in: configuration)
            return available(at: path).map { DaemonHealth.FileSystem(name: role, path: path, freeBytes: $0) }
        }
    }
}
