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
    /// A DICOM file's first bytes, kept as they pass for the header reader (the same pass that hashes them): up to
    /// the Pixel Data tag, at most `DicomHeaderReader.maxHeaderBytes`.
    private(set) var headerPrefix: [UInt8] = []
    private var capturingHeader: Bool
    private var storedHasher = SHA256()

    /// Where the bytes go: written before `append` returns, or queued to intake's writer thread.
    private enum Target {
        case descriptor(Int32)
        case queued(ChunkWriter, ChunkWriter.File)
        /// Nowhere: `opine validate` hashes and sniffs the bytes without keeping them.
        case discard
    }
    private let target: Target

    private init(target: Target, display: String, limit: Int64, mediaType: MediaType, heartbeat: Heartbeat?) {
        self.target = target
        self.heartbeat = heartbeat
        self.display = display
        self.limit = limit
        self.sniffer = ContentSniffer(mediaType: mediaType)
        zeroesPreamble = mediaType == .dicom
        capturingHeader = mediaType == .dicom
    }

    convenience init(fd: Int32, display: String, limit: Int64, mediaType: MediaType, heartbeat: Heartbeat? = nil) {
        self.init(target: .descriptor(fd), display: display, limit: limit, mediaType: mediaType, heartbeat: heartbeat)
    }

    convenience init(file: ChunkWriter.File, writer: ChunkWriter, limit: Int64, mediaType: MediaType, heartbeat: Heartbeat? = nil) {
        self.init(target: .queued(writer, file), display: file.path, limit: limit, mediaType: mediaType, heartbeat: heartbeat)
    }

    /// A sink that only hashes, sniffs and reads the DICOM header, for checking a bundle without storing it.
    convenience init(checking display: String, limit: Int64, mediaType: MediaType) {
        self.init(target: .discard, display: display, limit: limit, mediaType: mediaType, heartbeat: nil)
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
        case .discard:
            break
        }
        hasher.update(bufferPointer: chunk)
        sniffer.consume(chunk)
        if capturingHeader { captureHeader(chunk) }
        if preamble > 0 { storedHasher.update(data: Self.zeros[..<preamble]) }
        if preambleZeroed { storedHasher.update(bufferPointer: rest) }
        bytes += Int64(chunk.count)
        heartbeat?.beat()
        return true
    }

    private static let zeros = [UInt8](repeating: 0, count: Int(preambleBytes))
    /// Keeps the chunk's bytes while the header may still go on, up to just past the Pixel Data tag (the reader
    /// stops there) or the reader's limit, so an image's pixels are not copied a second time.
    private func captureHeader(_ chunk: UnsafeRawBufferPointer) {
        let room = min(chunk.count, DicomHeaderReader.maxHeaderBytes - headerPrefix.count)
        // The tag may be split between the previous chunk and this one: look at the seam first.
        let kept = min(3, headerPrefix.count)
        let seam = Array(headerPrefix.suffix(kept)) + Array(chunk.prefix(3))
        var end = room, found = true
        if let after = seam.withUnsafeBytes(Self.afterPixelDataTag), after > kept {
            end = min(room, after - kept + 8)
        } else if let after = Self.afterPixelDataTag(UnsafeRawBufferPointer(rebasing: chunk[..<room])) {
            end = min(room, after + 8)  // VR, reserved and length: 8 more
        } else {
            found = false
        }
        headerPrefix.append(contentsOf: chunk[..<max(0, end)])
        if found || headerPrefix.count >= DicomHeaderReader.maxHeaderBytes { capturingHeader = false }
    }

    /// The offset just past the first (7FE0,0010) tag in `bytes`, little or big endian; one pass that stops there.
    static func afterPixelDataTag(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) {
            let first = bytes[index]
            if first == 0xE0, bytes[index + 1] == 0x7F, bytes[index + 2] == 0x10, bytes[index + 3] == 0x00 { return index + 4 }
            if first == 0x7F, bytes[index + 1] == 0xE0, bytes[index + 2] == 0x00, bytes[index + 3] == 0x10 { return index + 4 }
        }
        return nil
    }

    var sha256: String { Self.hex(hasher.finalize()) }
    /// The hash of the bytes kept, when they differ from the bytes sent.
    var storedSHA256: String? { preambleZeroed ? Self.hex(storedHasher.finalize()) : nil }

    private static func hex(_ digest: SHA256.Digest) -> String { Hex.lowercase(digest) }
}

/// The headers of an upload's DICOM files, read from the prefixes kept while they were hashed, and the files whose
/// data set could not be read.
struct ImageHeaders {
    private(set) var headers: [DicomHeader] = []
    /// (manifest index, problem) of each file that claims DICOM but could not be read.
    private(set) var unreadable: [(index: Int, problem: DicomReadProblem)] = []

    /// Reads the header `sink` kept of `files[index]`.
    mutating func add(_ sink: StagedFile, index: Int, size: Int64) {
        let prefix = sink.headerPrefix
        switch DicomHeaderReader.read(prefix, isComplete: Int64(prefix.count) >= size) {
        case .success(let header): headers.append(header)
        case .failure(let problem): unreadable.append((index, problem))
        }
    }

    /// The summary of the upload's images; nil without DICOM files. When files claim DICOM and none can be read,
    /// the upload is refused: nothing in it is an image a reviewer could open.
    func summary() throws -> StudySummary? {
        guard !headers.isEmpty || !unreadable.isEmpty else { return nil }
        if headers.isEmpty, let first = unreadable.first {
            throw Rejection(.imagingUnreadable, "manifest.json: files[\(first.index)] is declared application/dicom but its header cannot be read (\(first.problem)); none of the \(unreadable.count) DICOM files can be")
        }
        return StudySummary(headers: headers, unreadable: unreadable.count)
    }
}
