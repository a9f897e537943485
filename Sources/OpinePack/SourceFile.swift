#if canImport(Glibc)
import Glibc
#endif
import Crypto
import OpineCore

/// A file's identity on its file system, the same through every hard link to it: how a digest computed as the file
/// was written finds the file again, whatever its name now.
public struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The identity of the file at `path` (not following a symbolic link), or nil when there is none.
    public init?(path: String) {
        guard let info = FileReading.lstat(path) else { return nil }
        self.init(info)
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// One file being copied into the bundle: its size counted, its SHA-256 computed and its type checked from the very
/// bytes written, one buffer at a time. A linked file whose SHA-256 is known (`Packer.Request.knownDigests`) is
/// read only as far as its type's check needs when that check looks at its head alone (DICOM, JPEG, PNG).
final class SourceFile {
    let file: PackedFile
    private let fd: Int32
    private var done: Int64 = 0
    private var hasher = SHA256()
    private var sniffer: ContentSniffer
    /// A DICOM file's first bytes (at most `DicomHeaderReader.maxHeaderBytes`), to tell whether its header can be read.
    private var header: [UInt8] = []
    /// The file's SHA-256 (hex) as its writer computed it, for the inode opened: then it is not hashed again.
    private let known: String?
    /// How far the file is read: all of it, unless its digest is known and its check needs only its head.
    private let readEnd: Int64

    init(_ file: PackedFile, knownDigests: [FileIdentity: String] = [:]) throws(PackError) {
        self.file = file
        fd = try FileReading.open(file.source)
        sniffer = ContentSniffer(mediaType: file.mediaType)
        var info = stat()
        known = knownDigests.isEmpty || fstat(fd, &info) != 0 ? nil : knownDigests[FileIdentity(info)]
        let head = Int64(max(ContentSniffer.headBytes, file.mediaType == .dicom ? DicomHeaderReader.maxHeaderBytes : 0))
        readEnd = known != nil && ContentSniffer.judgesByHead(file.mediaType) ? min(file.size, head) : file.size
    }

    deinit { close(fd) }

    /// The next chunk, or an empty one at the end; a file that shrinks or grows while it is packed is refused.
    func next() throws(PackError) -> [UInt8] {
        let wanted = Int(min(Int64(FileReading.chunkBytes), readEnd - done))
        guard wanted > 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: wanted)
        var count = 0
        repeat {
            count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw PackError(.io, "\(file.source.escapedForDisplay): read failed (\(String(cString: strerror(errno))))") }
        guard count > 0 else { throw changed() }
        chunk.removeLast(wanted - count)
        chunk.withUnsafeBytes { bytes in
            if known == nil { hasher.update(bufferPointer: bytes) }
            sniffer.consume(bytes)
            if file.mediaType == .dicom, header.count < DicomHeaderReader.maxHeaderBytes {
                header.append(contentsOf: bytes.prefix(DicomHeaderReader.maxHeaderBytes - header.count))
            }
        }
        done += Int64(count)
        return chunk
    }

    /// The manifest entry for the bytes copied, once they are all read: refuses a file that grew, or whose bytes no
    /// longer pass the check they passed when surveyed.
    func listed() throws(PackError) -> Manifest.ListedFile {
        if done < file.size {
            var info = stat()
            guard known != nil, done == readEnd, fstat(fd, &info) == 0, Int64(info.st_size) == file.size, sniffer.skip(file.size - done) else {
                throw changed()
            }
        } else {
            var byte: UInt8 = 0
            guard done == file.size, read(fd, &byte, 1) == 0 else { throw changed() }
        }
        guard sniffer.finding() == nil else {
            throw PackError(.invalid, "\(file.source.escapedForDisplay) changed while it was packed and no longer passes the \(file.mediaType.rawValue) check; pack again", refusal: .fileUnstable(path: file.path))
        }
        return Manifest.ListedFile(
            path: file.path, kind: file.kind.rawValue, mediaType: file.mediaType, size: file.size, sha256: known ?? Hex.lowercase(hasher.finalize()))
    }

    /// Whether the DICOM header read as it was copied can be read, as intake reads it; nil for any other type.
    var dicomHeaderReadable: Bool? {
        guard file.mediaType == .dicom else { return nil }
        if case .success = DicomHeaderReader.read(header, isComplete: Int64(header.count) >= file.size) { return true }
        return false
    }

    private func changed() -> PackError {
        PackError(.invalid, "\(file.source.escapedForDisplay) changed size while it was packed; pack again once nothing writes to the folder", refusal: .fileUnstable(path: file.path))
    }
}
