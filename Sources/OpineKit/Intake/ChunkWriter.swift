import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Creates, writes and closes a bundle's staged files on two other threads ("lanes", a file's every step on the
/// same one, in order) while the intake thread reads and hashes: copying an upload costs about the slowest of the
/// three instead of their sum (creating a file is itself slow on a busy ext4, and copying into the page cache can
/// cost more than hashing). The intake thread may run up to `depth` chunks ahead; each chunk is copied into one of
/// the writer's buffers, so a reader may reuse its own buffer as soon as `write` returns. After a failure nothing
/// more is written; the failure is thrown by the next call or by `drain`, and the bundle is abandoned as after any
/// other.
///
/// Fault injection stays on the intake thread: each create and each chunk is checked (and traced) there, before it
/// is handed over.
final class ChunkWriter: @unchecked Sendable {
    static let depth = 8
    static let lanes = 2

    /// A file being written; only its lane's thread touches its descriptor.
    final class File: @unchecked Sendable {
        let path: String
        fileprivate let lane: DispatchQueue
        fileprivate var fd: Int32 = -1
        fileprivate init(path: String, lane: DispatchQueue) {
            self.path = path
            self.lane = lane
        }
    }

    private let lanes = (0..<ChunkWriter.lanes).map { DispatchQueue(label: "opine.intake.writer\($0)") }
    private var nextLane = 0
    private let group = DispatchGroup()
    private let free = DispatchSemaphore(value: ChunkWriter.depth)
    private let buffers = (0..<ChunkWriter.depth).map { _ in
        UnsafeMutableRawBufferPointer.allocate(byteCount: copyChunkBytes, alignment: 16)
    }
    private let lock = NSLock()
    /// Indexes of buffers no job holds; guarded by `lock`, counted by `free`.
    private var idle = Array(0..<ChunkWriter.depth)
    private var failure: IOFailure?

    /// Queued jobs hold the writer, so this runs only once they are done.
    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Starts creating `path` (exclusively; it must not exist).
    func create(_ path: String) throws(IOFailure) -> File {
        try FaultInjection.check(.open, path)
        try throwFailure()
        let file = File(path: path, lane: lanes[nextLane])
        nextLane = (nextLane + 1) % lanes.count
        run(on: file) { [self] in
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
            if fd < 0 { fail(FileOperations.fail("open", path)) } else { file.fd = fd }
        }
        return file
    }

    /// Queues `chunk` for `file`, its first `zeroingFirst` bytes as zeros; waits only when `depth` chunks are queued.
    func write(_ file: File, _ chunk: UnsafeRawBufferPointer, zeroingFirst zeroed: Int = 0) throws(IOFailure) {
        try FaultInjection.check(.write, file.path)
        var chunk = chunk
        while !chunk.isEmpty {
            free.wait()
            if let failure = currentFailure() {
                free.signal()
                throw failure
            }
            let slot = lock.withLock { idle.removeLast() }, buffer = buffers[slot]
            let count = min(chunk.count, buffer.count)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
            if zeroed > 0 { buffer[..<min(zeroed, count)].initializeMemory(as: UInt8.self, repeating: 0) }
            chunk = UnsafeRawBufferPointer(rebasing: chunk[count...])
            run(on: file) { [self] in
                defer {
                    lock.withLock { idle.append(slot) }
                    free.signal()
                }
                guard file.fd >= 0, currentFailure() == nil else { return }
                do throws(IOFailure) {
                    try FileOperations.writeChecked(file.fd, UnsafeRawBufferPointer(rebasing: buffers[slot][..<count]), display: file.path)
                } catch {
                    fail(error)
                }
            }
        }
    }

    /// Queues closing `file`, with its writeback started so the bundle's final sync finds the data mostly on disk.
    /// Always call it, after a failure too, or the descriptor leaks.
    func close(_ file: File) {
        run(on: file) {
            guard file.fd >= 0 else { return }
            FileOperations.startWriteback(file.fd)
            Glibc.close(file.fd)
            file.fd = -1
        }
    }

    /// Waits until everything queued is done; throws the first failure.
    func drain() throws(IOFailure) {
        waitUntilIdle()
        try throwFailure()
    }

    /// Waits until everything queued is done, whatever came of it: before anyone cleans up what it wrote.
    func waitUntilIdle() {
        group.wait()
    }

    private func run(on file: File, _ job: @escaping @Sendable () -> Void) {
        file.lane.async(group: group, execute: job)
    }

    private func fail(_ error: IOFailure) {
        lock.withLock { if failure == nil { failure = error } }
    }

    private func currentFailure() -> IOFailure? { lock.withLock { failure } }

    private func throwFailure() throws(IOFailure) {
        if let failure = currentFailure() { throw failure }
    }
}
