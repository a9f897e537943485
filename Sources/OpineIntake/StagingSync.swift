#if canImport(Glibc)
import Glibc
#endif
import CLinux
import OpineCore
import OpineStore

/// Makes a group's staged files durable together. Each file's writeback starts as it is closed
/// (`ChunkWriter.close`), so the disk works while later files are copied; `finish` then commits them all with one
/// `syncfs(2)` on the staging file system: one journal commit and one cache flush per group, where an fsync per
/// file costs a flush each (2,048 of them for a large MRI series). The staging directory is opened first, so
/// `syncfs` reports any writeback error on that file system since (Linux 5.8 and later); an error aborts the
/// group, unrelated or not, and it is taken again later. A small single bundle, and any group in the express lane,
/// is synced file by file instead (`finish(files:directories:)`), so it never waits for what another lane is
/// writing. Nothing is committed before `finish` succeeds.
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

    /// Makes a small bundle durable file by file: `syncfs` would also wait for whatever the other lane has written
    /// (a multi-gigabyte study), and an emergency must not wait for that. `files` and `directories` are every staged
    /// file and every folder created, the staging folder included.
    func finish(files: [String], directories: some Sequence<String>) throws(IOFailure) {
        for path in files + Array(directories) {
            let fd = try FileOperations.open(path, O_RDONLY | O_NOFOLLOW)
            defer { close(fd) }
            try FileOperations.sync(fd, display: path)
        }
    }

    /// Whether `bundles` bundles holding `files` files are small enough to be made durable file by file
    /// (`finish(files:directories:)`): at most 64 files a bundle and the express lane's size in all.
    static func isSmall(files: Int, bytes: Int64, limits: IntakeSettings, bundles: Int = 1) -> Bool {
        files <= 64 * bundles && bytes <= limits.expressLaneMaxBytes
    }
}
