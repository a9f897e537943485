#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Proves at start that a bundle built in the staging folder can be renamed into the drop directory. The same file
/// system is not enough: two bind mounts of one file system (systemd's `ReadWritePaths=`, `StateDirectory=`) refuse
/// a rename between them with EXDEV, which would otherwise surface only when a patient submits.
enum RenameProbe {
    /// Creates a hidden file in `staging`, renames it into `drop` under a hidden name opined never looks at, and
    /// removes it; throws what went wrong and how to fix it.
    static func check(staging: String, drop: String) throws {
        let name = ".opine-upload-probe-\(UInt32.random(in: 0...UInt32.max))"
        let source = staging + "/" + name, target = drop + "/" + name
        let fd = open(source, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StateFiles.Failure(description: "\(staging): a file cannot be created there (\(String(cString: strerror(errno)))); check the service's permissions")
        }
        close(fd)
        guard rename(source, target) == 0 else {
            let problem = errno
            unlink(source)
            if problem == EXDEV {
                throw StateFiles.Failure(
                    description: "\(staging) and \(drop) are on different mounts, so a bundle cannot be renamed into the drop directory in one step; "
                        + "keep paths.state and paths.drop inside one mount (under systemd, inside one ReadWritePaths= entry, as deploy/opine-upload.service does with /var/spool/opine)")
            }
            throw StateFiles.Failure(description: "\(drop): a bundle cannot be renamed into it (\(String(cString: strerror(problem)))); run the service in the opine-upload group")
        }
        unlink(target)
    }
}
