#if canImport(Glibc)
import OpineCore
import OpineStore
import Glibc
#endif
import Crypto
import Foundation
import ZIPFoundation

/// An upload being read: a directory or a zip. Intake asks the same three things of both.
protocol BundleReader: AnyObject {
    /// Every file present, by bundle path, with its size; refuses unsafe names and anything but regular files.
    func inventory() throws -> [String: Int64]
    /// The manifest's bytes, at most `Manifest.maxBytes`.
    func manifestBytes() throws -> [UInt8]
    /// Streams one file's bytes into `sink`.
    func copy(_ path: String, size: Int64, into sink: StagedFile) throws
}

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

/// Intake reads in chunks of this size; one buffer per reader keeps memory flat whatever the file size.
let copyChunkBytes = 1 << 20

final class DirectoryBundleReader: BundleReader {
    private let root: Int32
    private let limits: IntakeSettings
    /// One buffer for every read of this bundle, so memory stays flat whatever the file sizes.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: copyChunkBytes, alignment: 16)
    /// Files are copied in manifest order, so consecutive ones usually share a folder: it stays open.
    private var folders = FileOperations.FolderCache()

    init(path: String, limits: IntakeSettings) throws(IOFailure) {
        root = try FileOperations.openDirectory(path)
        self.limits = limits
    }

    deinit {
        close(root)
        folders.close()
        buffer.deallocate()
    }

    func inventory() throws -> [String: Int64] {
        var files: [String: Int64] = [:]
        var seen = Set<String>()
        try walk(root, prefix: "", depth: 1, files: &files, seen: &seen)
        return files
    }

    private func walk(_ directory: Int32, prefix: String, depth: Int, files: inout [String: Int64], seen: inout Set<String>) throws {
        for raw in try FileOperations.listDirectoryRaw(directory, display: "bundle") {
            guard let name = String(validating: raw, as: UTF8.self) else {
                throw Rejection(.unsafePath, "an entry under \(prefix.isEmpty ? "the bundle" : prefix.escapedForDisplay) has a name that is not valid UTF-8")
            }
            let path = prefix + name
            if let problem = PathRules.problem(with: path) {
                throw Rejection(.unsafePath, "bundle entry \(path.escapedForDisplay) \(problem)")
            }
            guard seen.insert(PathRules.collisionKey(path)).inserted else {
                throw Rejection(.duplicateName, "bundle entry \(path.escapedForDisplay) has the same name as another entry (names are compared ignoring case and Unicode normalization)")
            }
            var info = stat()
            guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw FileOperations.fail("stat", path) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw FileOperations.fail("open", path) }
                defer { close(child) }
                try walk(child, prefix: path + "/", depth: depth + 1, files: &files, seen: &seen)
            case S_IFREG:
                guard info.st_nlink == 1 else {
                    throw Rejection(.specialFile, "bundle entry \(path.escapedForDisplay) is a hard link; upload plain copies")
                }
                files[path] = Int64(info.st_size)
                guard files.count <= limits.maxFiles + 1 else {
                    throw Rejection(.limitExceeded, "the bundle holds more than \(limits.maxFiles) files")
                }
            case S_IFLNK:
                throw Rejection(.specialFile, "bundle entry \(path.escapedForDisplay) is a symbolic link; upload plain files")
            default:
                throw Rejection(.specialFile, "bundle entry \(path.escapedForDisplay) is a FIFO, socket or device; upload plain files")
            }
        }
    }

    func manifestBytes() throws -> [UInt8] {
        guard faccessat(root, Manifest.fileName, F_OK, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw Rejection(.manifestMissing, "the bundle has no manifest.json at its top level")
        }
        let fd = try FileOperations.openBeneath(root, Manifest.fileName, display: Manifest.fileName)
        defer { close(fd) }
        switch try FileOperations.readSmallFile(fd: fd, limit: Manifest.maxBytes, display: Manifest.fileName) {
        case .bytes(let data):
            return data
        case .tooLarge:
            throw Rejection(.manifestTooLarge, "manifest.json is larger than \(Manifest.maxBytes >> 20) MiB")
        case .notRegular, .missing:
            throw Rejection(.specialFile, "manifest.json is not a regular file")
        }
    }

    func copy(_ path: String, size: Int64, into sink: StagedFile) throws {
        let fd = try FileOperations.openBeneath(root, path, display: path, folders: &folders)
        defer { close(fd) }
        let info = try FileOperations.stat(fd: fd, display: path)
        guard FileOperations.isRegular(info), info.st_nlink == 1 else {
            throw Rejection(.specialFile, "bundle entry \(path.escapedForDisplay) changed into something other than a plain file while it was read")
        }
        guard Int64(info.st_size) == size else {
            throw Rejection(.sizeMismatch, "bundle entry \(path.escapedForDisplay) is \(info.st_size) bytes, not the \(size) the manifest lists")
        }
        while true {
            let count = try FileOperations.read(fd, into: buffer, display: path)
            if count == 0 { break }
            guard try sink.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) else {
                throw Rejection(.sizeMismatch, "bundle entry \(path.escapedForDisplay) grew while it was read")
            }
        }
        guard sink.bytes == size else {
            throw Rejection(.sizeMismatch, "bundle entry \(path.escapedForDisplay) shrank while it was read")
        }
    }
}

final class ZipBundleReader: BundleReader {
    private let fd: Int32
    private let entries: [String: ZipEntry]

    init(path: String, limits: IntakeSettings) throws {
        fd = try FileOperations.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        do {
            let info = try FileOperations.stat(fd: fd, display: "zip")
            guard FileOperations.isRegular(info) else { throw Rejection(.notABundle, "the upload is not a regular file") }
            let list = try ZipInspector.inspect(fd: fd, fileSize: UInt64(info.st_size), limits: limits)
            entries = Dictionary(list.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    func inventory() throws -> [String: Int64] {
        var files: [String: Int64] = [:]
        for entry in entries.values where !entry.isDirectory {
            files[entry.path] = Int64(entry.uncompressedSize)
        }
        return files
    }

    func manifestBytes() throws -> [UInt8] {
        guard let entry = entries[Manifest.fileName], !entry.isDirectory else {
            throw Rejection(.manifestMissing, "the zip has no manifest.json at its top level")
        }
        guard entry.uncompressedSize <= Manifest.maxBytes else {
            throw Rejection(.manifestTooLarge, "manifest.json is larger than \(Manifest.maxBytes >> 20) MiB")
        }
        let collected = ByteCollector(limit: Int(entry.uncompressedSize))
        try extract(entry, accept: collected.append)
        return collected.bytes
    }

    func copy(_ path: String, size: Int64, into sink: StagedFile) throws {
        guard let entry = entries[path], !entry.isDirectory else {
            throw Rejection(.missingFile, "the zip has no entry \(path.escapedForDisplay)")
        }
        try extract(entry) { chunk in try sink.append(chunk) }
    }

    /// Inflates one entry, stopping the moment it passes its declared size (`accept` returns false), and checks the
    /// CRC and the final size against the central directory.
    private func extract(_ entry: ZipEntry, accept: @escaping (UnsafeRawBufferPointer) throws -> Bool) throws {
        let label = "zip entry \(entry.index + 1) (\(entry.path.escapedForDisplay))"
        do {
            let run = Extraction(fd: fd, entry: entry, label: label, accept: accept)
            let crc: CRC32
            do {
                if entry.method == 8 {
                    crc = try Data.decompress(
                        size: Int64(entry.compressedSize), bufferSize: copyChunkBytes, skipCRC32: false,
                        provider: run.provide, consumer: run.consume)
                } else {
                    crc = try run.copyStored()
                }
            } catch let error as Rejection {
                throw error
            } catch let error as IOFailure {
                throw error
            } catch {
                // ZIPFoundation's CompressionError: the deflate stream is corrupt.
                throw Rejection(.zipInvalid, "\(label)'s compressed data is corrupt")
            }
            guard run.produced == entry.uncompressedSize else {
                throw Rejection(.zipInvalid, "\(label) inflates to \(run.produced) bytes, not its declared \(entry.uncompressedSize)")
            }
            guard crc == entry.crc32 else {
                throw Rejection(.zipInvalid, "\(label) fails its CRC check; the zip is damaged")
            }
        }
    }
}

/// Gathers a small entry (the manifest) in memory, refusing to pass its declared size.
private final class ByteCollector {
    let limit: Int
    var bytes: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    func append(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + chunk.count <= limit else { return false }
        bytes.append(contentsOf: chunk)
        return true
    }
}

/// The running state of one entry's extraction, shared by ZIPFoundation's provider and consumer callbacks.
private final class Extraction {
    let fd: Int32
    let entry: ZipEntry
    let label: String
    let accept: (UnsafeRawBufferPointer) throws -> Bool
    var produced: UInt64 = 0

    init(fd: Int32, entry: ZipEntry, label: String, accept: @escaping (UnsafeRawBufferPointer) throws -> Bool) {
        self.fd = fd
        self.entry = entry
        self.label = label
        self.accept = accept
    }

    func consume(_ data: Data) throws {
        let accepted = try data.withUnsafeBytes { try accept($0) }
        guard accepted else {
            throw Rejection(.zipBomb, "\(label) inflates past its declared size of \(entry.uncompressedSize) bytes")
        }
        produced += UInt64(data.count)
    }

    func provide(_ position: Int64, _ size: Int) throws -> Data {
        let remaining = Int64(entry.compressedSize) - position
        // ZIPFoundation's inflater asks again forever on an empty chunk; a stream wanting more than the entry holds is
        // damaged.
        guard remaining > 0 else {
            throw Rejection(.zipInvalid, "\(label)'s compressed data ends before its deflate stream does")
        }
        var data = Data(count: Int(min(Int64(size), remaining)))
        let fd = self.fd
        let offset = Int64(entry.dataOffset) + position
        let count = try data.withUnsafeMutableBytes { buffer in
            try FileOperations.pread(fd, into: buffer, at: offset, display: "zip")
        }
        guard count > 0 else { throw Rejection(.zipInvalid, "\(label) is truncated") }
        data.count = count
        return data
    }

    func copyStored() throws -> CRC32 {
        var crc: CRC32 = 0
        var position: Int64 = 0
        while position < Int64(entry.compressedSize) {
            let data = try provide(position, copyChunkBytes)
            crc = data.crc32(checksum: crc)
            try consume(data)
            position += Int64(data.count)
        }
        return crc
    }
}
