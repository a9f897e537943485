#if canImport(Glibc)
import Glibc
#endif
import CLinux
import OpineCore
import OpineStore

/// Makes a bundle's staged files durable together. Each file's writeback starts as it is closed
/// (`ChunkWriter.close`), so the disk works while later files are copied; `finish` then commits them all with one
/// `syncfs(2)` on the staging file system: one journal commit and one cache flush per bundle, where an fsync per
/// file costs a flush each (2,048 of them for a large MRI series). The staging directory is opened first, so
/// `syncfs` reports any writeback error on that file system since (Linux 5.8 and later); an error aborts the
/// bundle, unrelated or not, and it is taken again later. Nothing is committed before `finish` succeeds.
final class StagingSync {
    private let directory: Int32
    private let display: String

    init(staging path: String) throws(IOFailure) {
        directory = try FileOperations.openDirectory(path)
        display = path
    }

    deinit { close(directory) }

    /// Waits until everything written so far on the staging file system is on disk.
    func finish() throws(IOFailure) {
        try FaultInjection.check(.fsync, display)
        guard syncfs(directory) == 0 else { throw FileOperations.fail("syncfs", display) }
    }
}
