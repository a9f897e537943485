#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Dispatch
import Foundation
import OpineCore
import OpineStore

/// Creates, writes and closes a bundle's staged files on two other threads ("lanes", a file's every step on the
/// same one, in order) while the intake thread reads and hashes: copying an upload costs about the slowest of the
/// three instead of their sum (creating a file is itself slow on a busy ext4, and copying into the page cache can
/// cost more than hashing). The intake thread may run up to `depth` chunks ahead; each chunk is copied into one of
/// the writer's buffers, so a reader may reuse its own buffer as soon as `write` returns. After a failure nothing
/// more is written; the failure is thrown by the next call or by `drain`, and the bundle is abandoned as after any
/// other.
///
/// Large files are written with O_DIRECT, from the writer's buffers straight to the disk: an MRI study is written
/// once and read rarely, so copying it into the page cache only costs CPU (the most of any step, on a VM) and evicts
/// what is hot, such as the database. Small files, each file's tail beyond its last whole 4 KiB block, and file
/// systems that refuse O_DIRECT go through the page cache. Either way the bundle's one `syncfs` makes it durable.
///
/// Fault injection stays on the intake thread: each create and each chunk is checked (and traced) there, before it
/// is handed over.
final class ChunkWriter: @unchecked Sendable {
    static let depth = 8
    static let lanes = 2
    /// Files at least this large are written directly; below it the page cache's write-behind is cheaper than a
    /// synchronous disk write.
    static let directMinimumBytes: Int64 = 256 << 10
    /// O_DIRECT wants the buffer, the file offset and the length in whole logical blocks; 4 KiB covers every disk.
    static let directBlockBytes = 4096

    /// A file being written; only its lane's thread touches its descriptor.
    final class File: @unchecked Sendable {
        let path: String
        fileprivate let lane: DispatchQueue
        fileprivate var fd: Int32 = -1
        /// Asked for at create; off for good after the first part that is not whole blocks, or if refused.
        fileprivate var direct: Bool
        /// Whether any bytes went straight to the disk (for tests).
        private(set) var wroteDirectly = false

        fileprivate init(path: String, lane: DispatchQueue, direct: Bool) {
            self.path = path
            self.lane = lane
            self.direct = direct
        }

        /// On the lane: whole blocks directly while the file allows it, the rest through the page cache.
        fileprivate func write(_ bytes: UnsafeRawBufferPointer) throws(IOFailure) {
            var done = 0
            if direct {
                let whole = bytes.count & ~(ChunkWriter.directBlockBytes - 1)
                while done < whole {
                    let written = Glibc.write(fd, bytes.baseAddress! + done, whole - done)
                    if written >= 0 {
                        done += written
                        wroteDirectly = true
                    } else if errno == EINVAL {
                        break  // refused here (a short write left the offset between blocks, say): buffered from now
                    } else if errno != EINTR {
                        throw FileOperations.fail("write", path)
                    }
                }
                if done < bytes.count { setDirect(false) }
            }
            if done < bytes.count {
                try FileOperations.writeChecked(fd, UnsafeRawBufferPointer(rebasing: bytes[done...]), display: path)
            }
        }

        /// fcntl rather than open(O_DIRECT): a file system without O_DIRECT refuses the flag here with no side
        /// effect, where open would already have created the file.
        fileprivate func setDirect(_ on: Bool) {
            let flags = fcntl(fd, F_GETFL)
            let changed = flags >= 0 && fcntl(fd, F_SETFL, on ? flags | OPINE_O_DIRECT : flags & ~OPINE_O_DIRECT) == 0
            direct = on && changed
        }
    }

    private let lanes = (0..<ChunkWriter.lanes).map { DispatchQueue(label: "opine.intake.writer\($0)") }
    private var nextLane = 0
    private let group = DispatchGroup()
    private let free = DispatchSemaphore(value: ChunkWriter.depth)
    /// Over-allocated by one block and used from the first block boundary: `allocate(alignment: 4096)` (glibc's
    /// memalign) raised the burst benchmark's peak RSS from 38 to 78 MiB; plain malloc of the same size does not.
    /// Kept between bundles by `ChunkBuffers`.
    private let allocations: [UnsafeMutableRawBufferPointer]
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lock = NSLock()
    /// Indexes of buffers no job holds; guarded by `lock`, counted by `free`.
    private var idle = Array(0..<ChunkWriter.depth)
    private var failure: IOFailure?

    init() {
        let block = Self.directBlockBytes
        allocations = (0..<Self.depth).map { _ in ChunkBuffers.shared.take() }
        buffers = allocations.map { allocation in
            let base = Int(bitPattern: allocation.baseAddress!)
            let start = (base + block - 1) / block * block - base
            return UnsafeMutableRawBufferPointer(rebasing: allocation[start..<(start + copyChunkBytes)])
        }
    }

    /// Queued jobs hold the writer, so this runs only once they are done.
    deinit {
        for allocation in allocations { ChunkBuffers.shared.give(allocation) }
    }

    /// Starts creating `path` (exclusively; it must not exist), to hold `size` bytes.
    func create(_ path: String, size: Int64) throws(IOFailure) -> File {
        try FaultInjection.check(.open, path)
        try throwFailure()
        let file = File(path: path, lane: lanes[nextLane], direct: size >= Self.directMinimumBytes)
        nextLane = (nextLane + 1) % lanes.count
        run(on: file) { [self] in
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
            guard fd >= 0 else { return fail(FileOperations.fail("open", path)) }
            file.fd = fd
            if file.direct { file.setDirect(true) }
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
                    try file.write(UnsafeRawBufferPointer(rebasing: buffers[slot][..<count]))
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
