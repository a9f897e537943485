#if canImport(Glibc)
import Glibc
#endif
import OpineCore
import OpineStore

/// One entry of a zip's central directory, after every check has passed.
struct ZipEntry: Sendable {
    var index: Int
    var path: String
    var isDirectory: Bool
    var method: UInt16
    var crc32: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var dataOffset: UInt64
}

/// Reads a zip's structure itself rather than trusting an unzip library's lenient parse: the end record, every
/// central-directory header and the local header each points at. Whatever could make two readers see two different
/// archives (overlapping entries, headers that disagree, duplicate names) or hide something (encryption, symlinks,
/// ZIP64 tricks) is refused here, before any byte is decompressed.
enum ZipInspector {
    struct EndRecord {
        var entryCount: Int
        var directorySize: UInt64
        var directoryOffset: UInt64
        var offset: UInt64
    }

    static let maxCentralDirectoryBytes: UInt64 = 32 << 20

    /// The end-of-central-directory record, or nil while the upload is still incomplete or is not a zip.
    static func endRecord(fd: Int32, fileSize: UInt64) -> EndRecord? {
        guard fileSize >= 22 else { return nil }
        let window = min(fileSize, 22 + 0xFFFF)
        var tail = [UInt8](repeating: 0, count: Int(window))
        let read = tail.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress!, $0.count, off_t(fileSize - window)) }
        guard read == Int(window) else { return nil }
        // The record whose comment ends exactly at the end of the file; anything else is junk or truncation.
        var position = tail.count - 22
        while position >= 0 {
            if tail.u32(position) == 0x0605_4B50, position + 22 + Int(tail.u16(position + 20)) == tail.count {
                let offset = fileSize - window + UInt64(position)
                let record = EndRecord(
                    entryCount: Int(tail.u16(position + 10)), directorySize: UInt64(tail.u32(position + 12)),
                    directoryOffset: UInt64(tail.u32(position + 16)), offset: offset)
                guard tail.u16(position + 4) == 0, tail.u16(position + 6) == 0,
                      tail.u16(position + 8) == tail.u16(position + 10),
                      record.directoryOffset + record.directorySize <= offset
                else { return nil }
                return record
            }
            position -= 1
        }
        return nil
    }

    /// Every entry of the archive, checked. `end` is the end record when the caller already read it.
    static func inspect(fd: Int32, fileSize: UInt64, limits: IntakeSettings, end known: EndRecord? = nil) throws -> [ZipEntry] {
        guard let end = known ?? endRecord(fd: fd, fileSize: fileSize) else {
            throw Rejection(.zipInvalid, "the zip has no valid end-of-central-directory record; it is truncated, split or not a zip")
        }
        if end.entryCount == 0xFFFF || end.directoryOffset == 0xFFFF_FFFF || end.directorySize == 0xFFFF_FFFF {
            throw Rejection(.zipInvalid, "ZIP64 archives are not accepted; send a zip under 4 GiB or a directory bundle")
        }
        guard end.directorySize <= maxCentralDirectoryBytes else {
            throw Rejection(.limitExceeded, "the zip's central directory is larger than \(maxCentralDirectoryBytes >> 20) MiB")
        }
        guard end.entryCount <= limits.maxFiles * 2 + 1 else {
            throw Rejection(.limitExceeded, "the zip has \(end.entryCount) entries; the limit is \(limits.maxFiles) files")
        }
        let directory = try readExactly(fd: fd, count: Int(end.directorySize), at: end.directoryOffset)

        var entries: [ZipEntry] = []
        var seenNames = Set<String>()
        var ranges: [(start: UInt64, end: UInt64, index: Int)] = []
        var totalSize: UInt64 = 0
        var fileCount = 0
        var position = 0
        for index in 0..<end.entryCount {
            let label = "zip entry \(index + 1)"
            guard position + 46 <= directory.count, directory.u32(position) == 0x0201_4B50 else {
                throw Rejection(.zipInvalid, "the zip's central directory is damaged at \(label)")
            }
            let versionMadeBy = directory.u16(position + 4)
            let flags = directory.u16(position + 8)
            let method = directory.u16(position + 10)
            let crc = directory.u32(position + 16)
            let compressed = UInt64(directory.u32(position + 20))
            let uncompressed = UInt64(directory.u32(position + 24))
            let nameLength = Int(directory.u16(position + 28))
            let extraLength = Int(directory.u16(position + 30))
            let commentLength = Int(directory.u16(position + 32))
            let externalAttributes = directory.u32(position + 38)
            let localOffset = UInt64(directory.u32(position + 42))
            let nameStart = position + 46
            guard nameStart + nameLength + extraLength + commentLength <= directory.count else {
                throw Rejection(.zipInvalid, "the zip's central directory is damaged at \(label)")
            }
            let nameBytes = Array(directory[nameStart..<nameStart + nameLength])
            position = nameStart + nameLength + extraLength + commentLength

            if flags & 0x0001 != 0 || flags & 0x0040 != 0 || method == 99 {
                throw Rejection(.zipEncrypted, "\(label) is encrypted; send the files without a password")
            }
            guard method == 0 || method == 8 else {
                throw Rejection(.zipInvalid, "\(label) uses compression method \(method); only stored and deflate are accepted")
            }
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                throw Rejection(.zipInvalid, "\(label) uses ZIP64 sizes; send a zip under 4 GiB or a directory bundle")
            }
            guard let rawName = String(validating: nameBytes, as: UTF8.self) else {
                throw Rejection(.unsafePath, "\(label) has a name that is not valid UTF-8")
            }
            let isDirectory = rawName.hasSuffix("/")
            let path = isDirectory ? String(rawName.dropLast()) : rawName
            if let problem = PathRules.problem(with: path) {
                throw Rejection(.unsafePath, "\(label) (\(rawName.escapedForDisplay)) \(problem)")
            }
            // Unix "made by" hosts keep the file type in the high half of the external attributes.
            let host = versionMadeBy >> 8
            if host == 3 || host == 19 {
                let type = (externalAttributes >> 16) & UInt32(S_IFMT)
                if type == UInt32(S_IFLNK) {
                    throw Rejection(.specialFile, "\(label) (\(path.escapedForDisplay)) is a symbolic link")
                }
                if type != 0, type != UInt32(S_IFREG), type != UInt32(S_IFDIR) {
                    throw Rejection(.specialFile, "\(label) (\(path.escapedForDisplay)) is not a regular file or directory")
                }
            }
            guard seenNames.insert(PathRules.collisionKey(path)).inserted else {
                throw Rejection(.duplicateName, "\(label) (\(path.escapedForDisplay)) has the same name as an earlier entry (names are compared ignoring case and Unicode normalization)")
            }
            if isDirectory {
                guard uncompressed == 0 else { throw Rejection(.zipInvalid, "\(label) is a directory with content") }
            } else {
                fileCount += 1
                guard fileCount <= limits.maxFiles + 1 else {
                    throw Rejection(.limitExceeded, "the zip holds more than \(limits.maxFiles) files")
                }
                guard uncompressed <= UInt64(limits.maxFileBytes) else {
                    throw Rejection(.limitExceeded, "\(label) (\(path.escapedForDisplay)) is \(uncompressed) bytes; the per-file limit is \(limits.maxFileBytes)")
                }
                totalSize += uncompressed
                guard totalSize <= UInt64(limits.maxBundleBytes) else {
                    throw Rejection(.limitExceeded, "the zip's files add up to more than the bundle limit of \(limits.maxBundleBytes) bytes")
                }
            }
            if method == 0, compressed != uncompressed {
                throw Rejection(.zipInvalid, "\(label) is stored uncompressed but its two sizes differ")
            }

            let dataOffset = try checkLocalHeader(
                fd: fd, at: localOffset, label: label, nameBytes: nameBytes, flags: flags, method: method, crc: crc,
                compressed: compressed, uncompressed: uncompressed)
            guard dataOffset + compressed <= end.directoryOffset else {
                throw Rejection(.zipInvalid, "\(label)'s data runs into the central directory")
            }
            ranges.append((localOffset, dataOffset + compressed, index))
            entries.append(ZipEntry(
                index: index, path: path, isDirectory: isDirectory, method: method, crc32: crc,
                compressedSize: compressed, uncompressedSize: uncompressed, dataOffset: dataOffset))
        }
        // Entries sharing bytes are how overlapping-file zip bombs multiply a small file into terabytes.
        ranges.sort { $0.start < $1.start }
        for (earlier, later) in zip(ranges, ranges.dropFirst()) where later.start < earlier.end {
            throw Rejection(.zipBomb, "zip entries \(earlier.index + 1) and \(later.index + 1) overlap; the archive is a zip bomb or damaged")
        }
        return entries
    }

    /// Checks the local header agrees with the central directory; returns where the entry's data starts.
    private static func checkLocalHeader(
        fd: Int32, at offset: UInt64, label: String, nameBytes: [UInt8], flags: UInt16, method: UInt16, crc: UInt32,
        compressed: UInt64, uncompressed: UInt64
    ) throws -> UInt64 {
        let header = try readExactly(fd: fd, count: 30 + nameBytes.count, at: offset, label: label)
        guard header.u32(0) == 0x0403_4B50 else {
            throw Rejection(.zipInvalid, "\(label)'s local header is missing")
        }
        let localFlags = header.u16(6)
        guard Array(header[30...]) == nameBytes, Int(header.u16(26)) == nameBytes.count,
              header.u16(8) == method, localFlags & 0x0041 == flags & 0x0041
        else {
            throw Rejection(.zipInvalid, "\(label)'s local header disagrees with the central directory (name, method or flags)")
        }
        // With a data descriptor (flag bit 3) the local sizes are zero and only the central directory has them.
        if localFlags & 0x0008 == 0 {
            guard header.u32(14) == crc, UInt64(header.u32(18)) == compressed, UInt64(header.u32(22)) == uncompressed else {
                throw Rejection(.zipInvalid, "\(label)'s local header disagrees with the central directory (sizes or CRC)")
            }
        }
        return offset + 30 + UInt64(nameBytes.count) + UInt64(header.u16(28))
    }

    private static func readExactly(fd: Int32, count: Int, at offset: UInt64, label: String = "the central directory") throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = buffer.withUnsafeMutableBytes {
                Glibc.pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if read < 0, errno == EINTR { continue }
            if read < 0 { throw FileOperations.fail("read", "zip") }
            if read == 0 { throw Rejection(.zipInvalid, "\(label) lies past the end of the zip; it is truncated") }
            done += read
        }
        return buffer
    }
}

extension Array where Element == UInt8 {
    func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}
