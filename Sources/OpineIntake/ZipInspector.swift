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
    typealias EndRecord = ZipEndRecord

    static let maxCentralDirectoryBytes: UInt64 = 32 << 20

    /// The end-of-central-directory record, or nil while the upload is still incomplete or is not a zip.
    static func endRecord(fd: Int32, fileSize: UInt64) -> EndRecord? {
        guard fileSize >= UInt64(ZipEndRecord.fixedBytes) else { return nil }
        let window = min(fileSize, UInt64(ZipEndRecord.tailBytes))
        var tail = [UInt8](repeating: 0, count: Int(window))
        let read = tail.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress!, $0.count, off_t(fileSize - window)) }
        guard read == Int(window) else { return nil }
        return ZipEndRecord.find(inTail: tail, fileSize: fileSize)
    }

    /// Every entry of the archive, checked. `end` is the end record when the caller already read it.
    /// With `skip` (`opine validate`), an entry refused for its name or type (`unsafe_path`, `special_file`,
    /// `duplicate_name`) is handed to it, with its name when readable, and left out, so every such entry is reported;
    /// intake passes none and stops at the first.
    static func inspect(
        fd: Int32, fileSize: UInt64, limits: IntakeSettings, end known: EndRecord? = nil, skip: ((Rejection, String?) -> Void)? = nil
    ) throws -> [ZipEntry] {
        guard let end = known ?? endRecord(fd: fd, fileSize: fileSize) else {
            throw Rejection(.zipInvalid, "the zip has no valid end-of-central-directory record; it is truncated, split or not a zip")
        }
        try check(end, limits: limits)
        let directory = try readExactly(fd: fd, count: Int(end.directorySize), at: end.directoryOffset)
        var entries: [ZipEntry] = []
        var ranges: [(start: UInt64, end: UInt64, index: Int)] = []
        var tally = Tally()
        var position = 0
        for index in 0..<end.entryCount {
            let label = "zip entry \(index + 1)"
            let header = try CentralHeader(directory, at: &position, label: label)
            let path: String, isDirectory: Bool, dataOffset: UInt64
            do {
                (path, isDirectory) = try check(header, label: label, limits: limits, tally: &tally)
                dataOffset = try checkLocalHeader(fd: fd, header, label: label)
                guard dataOffset + header.compressed <= end.directoryOffset else {
                    throw Rejection(.zipInvalid, "\(label)'s data runs into the central directory")
                }
            } catch let rejection as Rejection {
                // The entry at fault, by its name in the zip, whenever the name is readable text; a limit on the whole
                // archive (file count, total bytes) is no one entry's fault, though one entry crossed it.
                let name = String(validating: header.nameBytes, as: UTF8.self)
                let wholeArchive = rejection.code == .limitExceeded && rejection.entry == nil
                let named = wholeArchive ? rejection : name.map { rejection.naming(entry: $0) } ?? rejection
                if let skip, [.unsafePath, .specialFile, .duplicateName].contains(rejection.code) {
                    skip(named, name)
                    continue
                }
                throw named
            }
            ranges.append((header.localOffset, dataOffset + header.compressed, index))
            entries.append(ZipEntry(
                index: index, path: path, isDirectory: isDirectory, method: header.method, crc32: header.crc,
                compressedSize: header.compressed, uncompressedSize: header.uncompressed, dataOffset: dataOffset))
        }
        // Entries sharing bytes are how overlapping-file zip bombs multiply a small file into terabytes.
        ranges.sort { $0.start < $1.start }
        for (earlier, later) in zip(ranges, ranges.dropFirst()) where later.start < earlier.end {
            throw Rejection(.zipBomb, "zip entries \(earlier.index + 1) and \(later.index + 1) overlap; the archive is a zip bomb or damaged")
        }
        return entries
    }

    /// ZIP64, an oversized central directory or too many entries are refused before the directory is read.
    private static func check(_ end: EndRecord, limits: IntakeSettings) throws {
        if end.entryCount == 0xFFFF || end.directoryOffset == 0xFFFF_FFFF || end.directorySize == 0xFFFF_FFFF {
            throw Rejection(.zipInvalid, "ZIP64 archives are not accepted; send a zip under 4 GiB or a directory bundle")
        }
        guard end.directorySize <= maxCentralDirectoryBytes else {
            throw Rejection(.limitExceeded, "the zip's central directory is larger than \(maxCentralDirectoryBytes >> 20) MiB")
        }
        guard end.entryCount <= limits.maxFiles * 2 + 1 else {
            throw Rejection(.limitExceeded, "the zip has \(end.entryCount) entries; the limit is \(limits.maxFiles) files")
        }
    }

    /// Files and bytes counted so far, against the limits.
    private struct Tally {
        var names = Set<String>()
        var files = 0
        var bytes: UInt64 = 0
    }

    /// One central-directory entry as the archive states it.
    struct CentralHeader {
        var versionMadeBy, flags, method: UInt16
        var crc: UInt32
        var compressed, uncompressed, localOffset: UInt64
        var externalAttributes: UInt32
        var nameBytes: [UInt8]

        /// Reads the entry at `position` and moves `position` past it.
        init(_ directory: [UInt8], at position: inout Int, label: String) throws {
            guard position + 46 <= directory.count, directory.u32(position) == 0x0201_4B50 else {
                throw Rejection(.zipInvalid, "the zip's central directory is damaged at \(label)")
            }
            versionMadeBy = directory.u16(position + 4)
            flags = directory.u16(position + 8)
            method = directory.u16(position + 10)
            crc = directory.u32(position + 16)
            compressed = UInt64(directory.u32(position + 20))
            uncompressed = UInt64(directory.u32(position + 24))
            let nameLength = Int(directory.u16(position + 28))
            let extraLength = Int(directory.u16(position + 30))
            let commentLength = Int(directory.u16(position + 32))
            externalAttributes = directory.u32(position + 38)
            localOffset = UInt64(directory.u32(position + 42))
            let nameStart = position + 46
            guard nameStart + nameLength + extraLength + commentLength <= directory.count else {
                throw Rejection(.zipInvalid, "the zip's central directory is damaged at \(label)")
            }
            nameBytes = Array(directory[nameStart..<nameStart + nameLength])
            position = nameStart + nameLength + extraLength + commentLength
        }
    }

    /// Encryption, methods, ZIP64, names, file types, collisions and limits; returns the entry's path.
    private static func check(
        _ header: CentralHeader, label: String, limits: IntakeSettings, tally: inout Tally
    ) throws -> (path: String, isDirectory: Bool) {
        if header.flags & 0x0001 != 0 || header.flags & 0x0040 != 0 || header.method == 99 {
            throw Rejection(.zipEncrypted, "\(label) is encrypted; send the files without a password")
        }
        guard header.method == 0 || header.method == 8 else {
            throw Rejection(.zipInvalid, "\(label) uses compression method \(header.method); only stored and deflate are accepted")
        }
        if header.compressed == 0xFFFF_FFFF || header.uncompressed == 0xFFFF_FFFF || header.localOffset == 0xFFFF_FFFF {
            throw Rejection(.zipInvalid, "\(label) uses ZIP64 sizes; send a zip under 4 GiB or a directory bundle")
        }
        guard let rawName = String(validating: header.nameBytes, as: UTF8.self) else {
            throw Rejection(.unsafePath, "\(label) has a name that is not valid UTF-8")
        }
        let isDirectory = rawName.hasSuffix("/")
        let path = isDirectory ? String(rawName.dropLast()) : rawName
        if let problem = PathRules.problem(with: path) {
            throw Rejection(.unsafePath, "\(label) (\(rawName.escapedForDisplay)) \(problem)", entry: rawName)
        }
        try checkFileType(header, label: label, path: path)
        guard tally.names.insert(PathRules.collisionKey(path)).inserted else {
            throw Rejection(.duplicateName, "\(label) (\(path.escapedForDisplay)) has the same name as an earlier entry (names are compared ignoring case and Unicode normalization)", entry: path)
        }
        if isDirectory {
            guard header.uncompressed == 0 else { throw Rejection(.zipInvalid, "\(label) is a directory with content") }
        } else {
            try count(header, label: label, path: path, limits: limits, tally: &tally)
        }
        if header.method == 0, header.compressed != header.uncompressed {
            throw Rejection(.zipInvalid, "\(label) is stored uncompressed but its two sizes differ")
        }
        return (path, isDirectory)
    }

    /// Unix "made by" hosts keep the file type in the high half of the external attributes.
    private static func checkFileType(_ header: CentralHeader, label: String, path: String) throws {
        let host = header.versionMadeBy >> 8
        guard host == 3 || host == 19 else { return }
        let type = (header.externalAttributes >> 16) & UInt32(S_IFMT)
        if type == UInt32(S_IFLNK) {
            throw Rejection(.specialFile, "\(label) (\(path.escapedForDisplay)) is a symbolic link", entry: path)
        }
        if type != 0, type != UInt32(S_IFREG), type != UInt32(S_IFDIR) {
            throw Rejection(.specialFile, "\(label) (\(path.escapedForDisplay)) is not a regular file or directory", entry: path)
        }
    }

    /// A file counts against the file, per-file and bundle limits.
    private static func count(_ header: CentralHeader, label: String, path: String, limits: IntakeSettings, tally: inout Tally) throws {
        tally.files += 1
        guard tally.files <= limits.maxFiles + 1 else {
            throw Rejection(.limitExceeded, "the zip holds more than \(limits.maxFiles) files")
        }
        guard header.uncompressed <= UInt64(limits.maxFileBytes) else {
            throw Rejection(.limitExceeded, "\(label) (\(path.escapedForDisplay)) is \(header.uncompressed) bytes; the per-file limit is \(limits.maxFileBytes)", entry: path)
        }
        tally.bytes += header.uncompressed
        guard tally.bytes <= UInt64(limits.maxBundleBytes) else {
            throw Rejection(.limitExceeded, "the zip's files add up to more than the bundle limit of \(limits.maxBundleBytes) bytes")
        }
    }

    /// Checks the local header agrees with the central directory; returns where the entry's data starts.
    static func checkLocalHeader(fd: Int32, _ central: CentralHeader, label: String) throws -> UInt64 {
        let nameBytes = central.nameBytes, offset = central.localOffset
        let header = try readExactly(fd: fd, count: 30 + nameBytes.count, at: offset, label: label)
        guard header.u32(0) == 0x0403_4B50 else {
            throw Rejection(.zipInvalid, "\(label)'s local header is missing")
        }
        let localFlags = header.u16(6)
        guard Array(header[30...]) == nameBytes, Int(header.u16(26)) == nameBytes.count,
              header.u16(8) == central.method, localFlags & 0x0041 == central.flags & 0x0041
        else {
            throw Rejection(.zipInvalid, "\(label)'s local header disagrees with the central directory (name, method or flags)")
        }
        // With a data descriptor (flag bit 3) the local sizes are zero and only the central directory has them.
        if localFlags & 0x0008 == 0 {
            guard header.u32(14) == central.crc, UInt64(header.u32(18)) == central.compressed,
                  UInt64(header.u32(22)) == central.uncompressed
            else {
                throw Rejection(.zipInvalid, "\(label)'s local header disagrees with the central directory (sizes or CRC)")
            }
        }
        return offset + 30 + UInt64(nameBytes.count) + UInt64(header.u16(28))
    }

    static func readExactly(fd: Int32, count: Int, at offset: UInt64, label: String = "the central directory") throws -> [UInt8] {
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
