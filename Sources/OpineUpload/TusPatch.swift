#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpineCore

/// One tus PATCH: the body is streamed to the upload's bytes file in pieces of about 1 MiB, each written with
/// pwrite at the committed offset, never collected whole. With `Upload-Checksum` the chunk is hashed as it streams
/// and, on a mismatch, cut off again (460). Without one, a connection dropped mid-chunk keeps what arrived (tus
/// core), so the next HEAD tells the page where to go on. A checked PATCH that brings a whole file leaves its SHA-256
/// on the upload for the pack.
struct TusPatch {
    let parts: ServiceParts
    /// How much is gathered before one pwrite.
    static let pieceBytes = 1 << 20

    func patch(_ request: Request, id: String, context: UploadRequestContext) async throws -> Response {
        try checkResumable(request)
        guard request.headers[.contentType]?.lowercased() == "application/offset+octet-stream" else {
            throw APIFailure(415, "The upload was sent in the wrong form (Content-Type must be application/offset+octet-stream); reload the page.")
        }
        let expected = try Self.expectedDigest(request.headers[TusHeaders.uploadChecksum])
        let chunkLength = TusHeaders.number(request.headers[.contentLength])
        let address = request.clientAddress(context, trustProxy: parts.settings.trustProxy)
        let upload = try await parts.uploads.beginPatch(id, binding: CSRF.binding(of: request))
        var offset = upload.offset
        var checked: [UInt8]?
        do {
            let claimed = TusHeaders.number(request.headers[TusHeaders.uploadOffset])
            if let refusal = parts.uploads.policy.patch(claimedOffset: claimed, chunkLength: chunkLength, offset: offset, length: upload.record.length) {
                var fields = HTTPFields()
                fields[TusHeaders.uploadOffset] = String(offset)
                throw APIFailure(refusal, headers: fields)
            }
            try await parts.limits.admit(.bytes(chunkLength ?? 0), address: address, tus: true)
            offset = try await write(request.body, upload: upload, expected: expected)
            checked = expected
            if chunkLength == nil { try? await parts.limits.admit(.bytes(offset - upload.offset), address: address, tus: true) }
        } catch {
            // What is on disk now is the truth: the bytes kept, or the offset the chunk was cut back to.
            _ = await parts.uploads.endPatch(id, start: upload.offset, offset: Self.size(of: parts.uploads.bytesPath(id)) ?? upload.offset)
            throw error
        }
        let done = await parts.uploads.endPatch(id, start: upload.offset, offset: offset, checked: checked)
        var fields = TusRoutes.tusFields
        fields[TusHeaders.uploadOffset] = String(offset)
        if let done { fields[TusHeaders.uploadExpires] = TusHeaders.httpDate(await parts.uploads.expiry(of: done)) }
        return Response(status: .noContent, headers: fields)
    }

    /// Streams the body to disk from the upload's offset; returns the new offset.
    private func write(_ body: RequestBody, upload: TusStore.Upload, expected: [UInt8]?) async throws -> Int64 {
        let path = parts.uploads.bytesPath(upload.record.id)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw APIFailure(404, "This upload is not known (it expired or was removed); the page sends the file again.") }
        defer { close(fd) }
        var sink = ChunkSink(fd: fd, start: upload.offset, hashing: expected != nil)
        do {
            for try await piece in body {
                if let refusal = parts.uploads.policy.mayWrite(received: sink.received + Int64(piece.readableBytes), from: upload.offset, length: upload.record.length) {
                    sink.discard()
                    throw APIFailure(refusal)
                }
                try sink.take(piece)
            }
            try sink.flush()
            if let expected, sink.digest() != expected {
                throw APIFailure(460, "A piece of the file arrived damaged and was discarded; the page sends it again.")
            }
        } catch {
            // A checksummed chunk is all or nothing; an unchecked one keeps the bytes that arrived. Either way what
            // is on disk now is synced: a cut-back that a crash undid would bring damaged bytes back under the offset.
            if expected == nil { try? sink.flush() } else { sink.discard() }
            try await Offload.run { _ = fdatasync(fd) }
            throw error
        }
        Writeback.start(fd, offset: sink.start, count: sink.written)
        // No fdatasync per chunk: the offset is the file's size, which the file system never commits past bytes
        // it has not written (ext4's ordered data, XFS's size-on-completion), so after a crash HEAD gives an offset
        // whose bytes are there and the page sends the rest; the pack's one syncfs makes them durable before the
        // bundle is handed over.
        return sink.start + sink.written
    }

    /// The SHA-256 an `Upload-Checksum: sha256 BASE64` header names; 400 for another algorithm or a malformed value.
    static func expectedDigest(_ header: String?) throws(APIFailure) -> [UInt8]? {
        guard let header else { return nil }
        let parts = header.split(separator: " ")
        guard parts.count == 2, parts[0] == "sha256", let digest = Data(base64Encoded: String(parts[1])), digest.count == 32 else {
            throw APIFailure(400, "The upload's checksum must be sha256 and base64 (Upload-Checksum); reload the page.")
        }
        return Array(digest)
    }

    static func size(of path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }
}

/// The bytes of one PATCH on their way to disk: gathered to about 1 MiB, written with pwrite, hashed when asked.
struct ChunkSink {
    let fd: Int32
    /// The offset the chunk started at.
    let start: Int64
    /// Bytes received so far, written or not.
    private(set) var received: Int64 = 0
    /// Bytes written to disk.
    private(set) var written: Int64 = 0
    private var pending = ByteBuffer()
    private var hasher: SHA256?

    init(fd: Int32, start: Int64, hashing: Bool) {
        self.fd = fd
        self.start = start
        hasher = hashing ? SHA256() : nil
        pending.reserveCapacity(TusPatch.pieceBytes + 65536)
    }

    mutating func take(_ piece: ByteBuffer) throws {
        received += Int64(piece.readableBytes)
        piece.withUnsafeReadableBytes { hasher?.update(bufferPointer: $0) }
        var piece = piece
        pending.writeBuffer(&piece)
        if pending.readableBytes >= TusPatch.pieceBytes { try flush() }
    }

    /// Writes what is gathered at the committed offset.
    mutating func flush() throws {
        while pending.readableBytes > 0 {
            let count = pending.withUnsafeReadableBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(start + written)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw APIFailure(507, "The practice's server is out of room for uploads; try again later, or call the practice.") }
            pending.moveReaderIndex(forwardBy: count)
            written += Int64(count)
        }
        pending.clear()
    }

    /// Cuts the file back to where the chunk started.
    mutating func discard() {
        pending.clear()
        _ = ftruncate(fd, off_t(start))
        written = 0
    }

    func digest() -> [UInt8]? { hasher.map { Array($0.finalize()) } }
}
