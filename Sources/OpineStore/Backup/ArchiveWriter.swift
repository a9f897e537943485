#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import OpineCore

/// Streams a tar archive to a file, hashing every member as it is written: files are copied in 1 MiB chunks, never
/// held whole, so a study of gigabytes costs no more memory than a letter. Not thread-safe; one backup owns it.
package final class ArchiveWriter {
    private let fd: Int32
    private let display: String
    private let buffer: UnsafeMutableRawBufferPointer
    /// Each member written so far, for the manifest.
    package private(set) var entries: [BackupManifest.Entry] = []
    /// Bytes written to the archive so far.
    package private(set) var bytesWritten: Int64 = 0

    /// Writes to `fd` (owned by the caller); `display` names the archive in errors.
    package init(fd: Int32, display: String, chunkBytes: Int = 1 << 20) {
        self.fd = fd
        self.display = display
        buffer = .allocate(byteCount: chunkBytes, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// What a file's copy found: its entry, and whether it matched the SHA-256 it was expected to have.
    package struct Copied {
        /// The member written.
        package var entry: BackupManifest.Entry
        /// False when an expected SHA-256 was given and the bytes did not match it.
        package var matched: Bool
    }

    /// Copies the regular file at `path` into the archive as `member`. A file that is not regular (a link, a device)
    /// or changes size while read is an error: the archive must hold exactly what its header says.
    package func addFile(at path: String, as member: String, expectedSHA256: String? = nil) throws(ArchiveIOError) -> Copied {
        let source = try ArchiveIO.openForReading(path)
        defer { close(source) }
        var info = stat()
        guard fstat(source, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveIOError(description: "\(path.escapedForDisplay): not a regular file")
        }
        let size = Int64(info.st_size)
        try put(TarHeader(path: member, size: size, kind: .file, mode: 0o600, mtime: Int64(info.st_mtim.tv_sec)).encoded())
        var hasher = SHA256()
        var copied: Int64 = 0
        while copied < size {
            let want = Int(min(Int64(buffer.count), size - copied))
            let count = try ArchiveIO.read(source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), display: path)
            guard count > 0 else { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: chunk)
            try ArchiveIO.writeAll(fd, chunk, display: display)
            copied += Int64(count)
        }
        guard copied == size else {
            throw ArchiveIOError(description: "\(path.escapedForDisplay): the file shrank from \(size) to \(copied) bytes while it was copied")
        }
        bytesWritten += size
        try put([UInt8](repeating: 0, count: TarHeader.padding(after: size)))
        let digest = Hex.lowercase(hasher.finalize())
        let entry = BackupManifest.Entry(path: member, size: size, sha256: digest)
        entries.append(entry)
        return Copied(entry: entry, matched: expectedSHA256.map { $0 == digest } ?? true)
    }

    /// Writes `bytes` as the member `member` (small members: the configuration, the manifest).
    @discardableResult
    package func addBytes(_ bytes: [UInt8], as member: String, listed: Bool = true) throws(ArchiveIOError) -> BackupManifest.Entry {
        try put(TarHeader(path: member, size: Int64(bytes.count), kind: .file, mode: 0o600, mtime: Int64(Date().timeIntervalSince1970)).encoded())
        try put(bytes)
        try put([UInt8](repeating: 0, count: TarHeader.padding(after: Int64(bytes.count))))
        let entry = BackupManifest.Entry(path: member, size: Int64(bytes.count), sha256: Hex.lowercase(SHA256.hash(data: bytes)))
        if listed { entries.append(entry) }
        return entry
    }

    /// Ends the archive with tar's two zero blocks.
    package func finish() throws(ArchiveIOError) {
        try put([UInt8](repeating: 0, count: 2 * TarHeader.blockSize))
    }

    private func put(_ bytes: [UInt8]) throws(ArchiveIOError) {
        try ArchiveIO.writeAll(fd, bytes, display: display)
        bytesWritten += Int64(bytes.count)
    }
}
