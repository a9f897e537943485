#if canImport(Glibc)
import Glibc
#endif
import Crypto
import OpineCore

/// A file being written into staging: hashed, sniffed and counted as its bytes pass, in one pass.
///
/// A DICOM file's 128-byte preamble is free-form and has carried executables (a file that is both a valid DICOM and
/// a Windows program); the stored copy has it zeroed, which no DICOM reader needs. The manifest's hash is still
/// checked over the bytes sent; the stored bytes get a hash of their own, computed only when they differ.
final class StagedFile {
    static let preambleBytes: Int64 = 128
    let display: String
    let limit: Int64
    private(set) var bytes: Int64 = 0
    private(set) var hasher = SHA256()
    private(set) var sniffer: ContentSniffer
    let heartbeat: Heartbeat?
    private let zeroesPreamble: Bool
    /// True once a non-zero preamble byte was replaced; decided within the first 128 bytes.
    private(set) var preambleZeroed = false
    private var storedHasher = SHA256()

    /// Where the bytes go: written before `append` returns, or queued to intake's writer thread.
    private enum Target {
        case descriptor(Int32)
        case queued(ChunkWriter, ChunkWriter.File)
    }
    private let target: Target

    private init(target: Target, display: String, limit: Int64, mediaType: MediaType, heartbeat: Heartbeat?) {
        self.target = target
        self.heartbeat = heartbeat
        self.display = display
        self.limit = limit
        self.sniffer = ContentSniffer(mediaType: mediaType)
        zeroesPreamble = mediaType == .dicom
    }

    convenience init(fd: Int32, display: String, limit: Int64, mediaType: MediaType, heartbeat: Heartbeat? = nil) {
        self.init(target: .descriptor(fd), display: display, limit: limit, mediaType: mediaType, heartbeat: heartbeat)
    }

    convenience init(file: ChunkWriter.File, writer: ChunkWriter, limit: Int64, mediaType: MediaType, heartbeat: Heartbeat? = nil) {
        self.init(target: .queued(writer, file), display: file.path, limit: limit, mediaType: mediaType, heartbeat: heartbeat)
    }

    /// Returns false, writing nothing, when the bytes would pass the declared size.
    func append(_ chunk: UnsafeRawBufferPointer) throws(IOFailure) -> Bool {
        guard bytes + Int64(chunk.count) <= limit else { return false }
        // How many of this chunk's first bytes fall in a DICOM preamble, stored as zeros.
        var preamble = 0
        if zeroesPreamble && bytes < Self.preambleBytes {
            preamble = Int(min(Self.preambleBytes - bytes, Int64(chunk.count)))
            if chunk.prefix(preamble).contains(where: { $0 != 0 }) { preambleZeroed = true }
        }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[preamble...])
        switch target {
        case .queued(let writer, let file):
            // Queued first, so the hashing below runs while it is written.
            try writer.write(file, chunk, zeroingFirst: preamble)
        case .descriptor(let fd):
            let failure = Self.zeros[..<preamble].withUnsafeBytes { zeros -> IOFailure? in
                do throws(IOFailure) { if !zeros.isEmpty { try FileOperations.write(fd, zeros, display: display) } } catch { return error }
                return nil
            }
            if let failure { throw failure }
            if !rest.isEmpty { try FileOperations.write(fd, rest, display: display) }
        }
        hasher.update(bufferPointer: chunk)
        sniffer.consume(chunk)
        if preamble > 0 { storedHasher.update(data: Self.zeros[..<preamble]) }
        if preambleZeroed { storedHasher.update(bufferPointer: rest) }
        bytes += Int64(chunk.count)
        heartbeat?.beat()
        return true
    }

    private static let zeros = [UInt8](repeating: 0, count: Int(preambleBytes))

    var sha256: String { Self.hex(hasher.finalize()) }
    /// The hash of the bytes kept, when they differ from the bytes sent.
    var storedSHA256: String? { preambleZeroed ? Self.hex(storedHasher.finalize()) : nil }

    private static func hex(_ digest: SHA256.Digest) -> String { Hex.lowercase(digest) }
}
