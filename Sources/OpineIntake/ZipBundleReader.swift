#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore
import ZIPFoundation

/// A zip upload, its central directory checked by `ZipInspector` before any entry is inflated.
final class ZipBundleReader: BundleReader {
    private let fd: Int32
    private let entries: [String: ZipEntry]

    /// `looked` is the end record readiness already read; it is used only while the file is unchanged since.
    /// Entries `opine validate`'s reading left out for their name or type, each with its name when readable.
    private var skipped: [(problem: BundleProblem, path: String?)] = []

    /// `collecting` (`opine validate`) leaves out, and notes, each entry refused for its name or type instead of
    /// refusing the zip at the first.
    init(path: String, limits: IntakeSettings, looked: UploadLook.Zip? = nil, collecting: Bool = false) throws {
        fd = try FileOperations.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        do {
            let info = try FileOperations.stat(fd: fd, display: "zip")
            guard FileOperations.isRegular(info) else { throw Rejection(.notABundle, "the upload is not a regular file") }
            let size = UInt64(info.st_size)
            let known = looked.flatMap { $0.size == size && $0.lastChange == FileOperations.lastChange(info) ? $0.end : nil }
            var skipped: [(problem: BundleProblem, path: String?)] = []
            let list = try ZipInspector.inspect(
                fd: fd, fileSize: size, limits: limits, end: known, skip: collecting ? { skipped.append((BundleProblem($0), $1)) } : nil)
            self.skipped = skipped
            entries = Dictionary(list.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            close(fd)
            throw error
        }
    }

    /// A reader of just these entries, for the lenient manifest read.
    private init(fd: Int32, entries: [ZipEntry]) {
        self.fd = fd
        self.entries = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    deinit { close(fd) }

    /// The `manifest.json` entry's bytes of a zip that may be refused for anything else, read through its central
    /// directory (`ZipInspector.manifestEntry`) and inflated within the manifest's size limit with its CRC checked;
    /// nil when that cannot be done safely.
    static func lenientManifest(path: String) -> [UInt8]? {
        guard let fd = try? FileOperations.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
        guard let info = try? FileOperations.stat(fd: fd, display: "zip"), FileOperations.isRegular(info),
              let entry = ZipInspector.manifestEntry(fd: fd, fileSize: UInt64(info.st_size))
        else {
            close(fd)
            return nil
        }
        // The reader owns the descriptor from here and closes it.
        return try? ZipBundleReader(fd: fd, entries: [entry]).manifestBytes()
    }

    func inventory() throws -> [String: Int64] {
        var files: [String: Int64] = [:]
        for entry in entries.values where !entry.isDirectory {
            files[entry.path] = Int64(entry.uncompressedSize)
        }
        return files
    }

    func collectInventory() throws -> (files: [String: Int64], problems: [(problem: BundleProblem, path: String?)]) {
        (try inventory(), skipped)
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
