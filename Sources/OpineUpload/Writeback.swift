#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Dispatch
import Synchronization

/// Starts the disk writing what a PATCH wrote, while the rest of the study is still arriving: without it, a whole
/// study's bytes wait in the page cache until the pack's one syncfs, which then writes them all while the patient
/// waits for the receipt. Only a start (SYNC_FILE_RANGE_WRITE, no wait) on a thread of its own, since the call can
/// block while the disk's queue is full; the syncfs stays what makes the bytes durable, so a hint may be dropped.
enum Writeback {
    private static let queue = DispatchQueue(label: "opine-upload.writeback")
    /// Hints waiting for the queue, each holding a descriptor: past `maxWaiting` (a disk slower than the uploads)
    /// new ones are dropped rather than hold descriptors the service needs for connections and files.
    private static let waiting = Atomic<Int>(0)
    static let maxWaiting = 32

    /// Starts writeback of `count` bytes from `offset` of the open file `fd` (duplicated here; the caller may close it).
    static func start(_ fd: Int32, offset: Int64, count: Int64) {
        guard count > 0 else { return }
        guard waiting.add(1, ordering: .relaxed).newValue <= maxWaiting else {
            waiting.subtract(1, ordering: .relaxed)
            return
        }
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else {
            waiting.subtract(1, ordering: .relaxed)
            return
        }
        queue.async {
            _ = sync_file_range(copy, offset, count, OPINE_SYNC_FILE_RANGE_WRITE)
            close(copy)
            waiting.subtract(1, ordering: .relaxed)
        }
    }
}
