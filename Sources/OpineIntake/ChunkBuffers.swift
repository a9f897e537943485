import Foundation

/// Copy buffers kept from one bundle to the next. Each bundle needs nine of a mebibyte (the reader's and the
/// writer's); allocating them afresh is an `mmap` whose every page faults and is zeroed on first touch, which cost a
/// burst of small bundles an eighth of its CPU (BENCHMARKS.md). The pool keeps at most `limit` and is emptied when
/// intake goes idle, so an idle opined holds none.
final class ChunkBuffers: @unchecked Sendable {
    // @unchecked: `kept` is touched only under `lock`.

    /// Every copy buffer of every lane.
    static let shared = ChunkBuffers(limit: 2 * (ChunkWriter.depth + 1))
    /// Bytes in each buffer: one copy chunk and one block, so the writer can start on a block boundary.
    static let bytes = copyChunkBytes + ChunkWriter.directBlockBytes

    private let limit: Int
    private let lock = NSLock()
    private var kept: [UnsafeMutableRawBufferPointer] = []

    init(limit: Int) { self.limit = limit }

    /// A buffer of `bytes`, kept from an earlier bundle when there is one.
    func take() -> UnsafeMutableRawBufferPointer {
        lock.withLock { kept.popLast() } ?? UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bytes, alignment: 16)
    }

    /// Hands a buffer back for the next bundle, or frees it when enough are kept.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let keep = lock.withLock {
            guard kept.count < limit else { return false }
            kept.append(buffer)
            return true
        }
        if !keep { buffer.deallocate() }
    }

    /// Frees every kept buffer (intake is idle).
    func release() {
        let all = lock.withLock {
            defer { kept.removeAll() }
            return kept
        }
        for buffer in all { buffer.deallocate() }
    }
}
