import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes a staged file's chunks on a second thread, one at a time, while the intake thread hashes that chunk and
/// reads the next: copying an upload costs about the slower of the two instead of their sum. The chunk is copied
/// into the writer's own buffer, so a reader may reuse its buffer as soon as `write` returns. A failed write is
/// reported by the next `write` or by `drain`, and the file is then abandoned, as after any failure.
///
/// Fault injection stays on the intake thread: each chunk is checked (and traced) there, before it is handed over.
final class ChunkWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "opine.intake.writer")
    private let group = DispatchGroup()
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: copyChunkBytes, alignment: 16)
    /// Set by the writer thread, read after `group.wait()`, which orders the two.
    private var failure: IOFailure?

    deinit {
        group.wait()
        buffer.deallocate()
    }

    /// Waits for the chunk in flight, then starts writing `chunk` to `fd`.
    func write(_ fd: Int32, _ chunk: UnsafeRawBufferPointer, display: String) throws(IOFailure) {
        try FaultInjection.check(.write, display)
        guard chunk.count <= buffer.count else {
            // Larger than a read chunk (never from intake's readers): write it here, in order.
            try drain()
            return try FileOperations.writeChecked(fd, chunk, display: display)
        }
        try drain()
        buffer.copyMemory(from: chunk)
        let count = chunk.count
        queue.async(group: group) { [self] in
            do throws(IOFailure) {
                try FileOperations.writeChecked(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<count]), display: display)
            } catch {
                failure = error
            }
        }
    }

    /// Waits until nothing is in flight; throws a write that failed.
    func drain() throws(IOFailure) {
        group.wait()
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}
