#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// Reads a tar stream member by member, handing each member's data on in chunks so nothing is held whole. pax
/// extended headers are applied to the member they precede. Knows nothing of what the members mean: restore judges
/// each header with `BackupLayout.check` before it writes a byte.
package final class ArchiveReader {
    private let fd: Int32
    private let display: String
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var pending: Int64 = 0
    private var pendingPadding = 0

    /// Reads from `fd` (owned by the caller); `display` names the archive in errors.
    package init(fd: Int32, display: String, chunkBytes: Int = 1 << 20) {
        self.fd = fd
        self.display = display
        buffer = .allocate(byteCount: chunkBytes, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// The next member's header, with any pax records applied; nil at the end of the archive. The data of the member
    /// before, if not read, is skipped.
    package func next() throws -> TarHeader? {
        try skipData()
        var pax: [String: String] = [:]
        while true {
            let block = try take(TarHeader.blockSize)
            // A stream cut exactly between members reads as its end; restore then misses the manifest, written last.
            if block.isEmpty, pax.isEmpty { return nil }
            guard block.count == TarHeader.blockSize else {
                throw TarFormatError("\(display.escapedForDisplay) ends in the middle of a header: the archive is truncated")
            }
            guard let header = try TarHeader.decode(block, pax: pax) else { return nil }
            pending = header.size
            pendingPadding = TarHeader.padding(after: header.size)
            guard header.kind == .paxExtended else { return header }
            guard header.size <= 1 << 20 else { throw TarFormatError("a pax header of \(header.size) bytes is too large") }
            pax = try TarHeader.parsePax(try readAll(limit: 1 << 20))
        }
    }

    /// Hands the current member's data to `sink` in chunks, then skips its padding.
    package func readData(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        while pending > 0 {
            if start == end { try fill() }
            guard start < end else { throw TarFormatError("\(display.escapedForDisplay) ends in the middle of a member: the archive is truncated") }
            let count = Int(min(Int64(end - start), pending))
            try sink(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)]))
            start += count
            pending -= Int64(count)
        }
        if pendingPadding > 0 {
            _ = try take(pendingPadding)
            pendingPadding = 0
        }
    }

    /// The current member's data, refused beyond `limit` bytes.
    package func readAll(limit: Int64) throws -> [UInt8] {
        guard pending <= limit else { throw TarFormatError("an archive member of \(pending) bytes is larger than the \(limit) allowed here") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(pending))
        try readData { bytes.append(contentsOf: $0) }
        return bytes
    }

    private func skipData() throws {
        try readData { _ in }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            if start == end { try fill() }
            guard start < end else { break }
            let step = min(end - start, count - out.count)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + step)]))
            start += step
        }
        return out
    }

    private func fill() throws {
        start = 0
        end = try ArchiveIO.read(fd, into: buffer, display: display)
    }
}
