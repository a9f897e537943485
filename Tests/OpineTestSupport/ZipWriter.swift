import Foundation
import ZIPFoundation

/// Writes zip archives byte by byte, so tests can make both honest archives and every kind of lie a hostile one tells.
public enum ZipWriter {
    /// One archive entry, with every field a hostile archive might set to something untrue.
    public struct Entry {
        /// The name in the central directory (and the local header, unless `localName` differs).
        public var name: String
        /// The uncompressed content.
        public var data: Data
        /// Deflate the content (method 8) instead of storing it (method 0).
        public var deflate: Bool
        /// The Unix mode in the external attributes; nil writes an entry "made by" MS-DOS, with no mode.
        public var unixMode: UInt32?
        /// General purpose flags: UTF-8 names (0x0800) by default; bit 0 claims encryption.
        public var flags: UInt16
        /// The name written in the local header, when it should disagree with the central directory.
        public var localName: String?
        /// Name bytes written as they are (invalid UTF-8, say), instead of `name`.
        public var rawName: Data?
        /// The uncompressed size declared in both headers, when it should lie.
        public var declaredSize: UInt32?
        /// The CRC-32 declared in both headers, when it should lie.
        public var crc: UInt32?

        /// An honest stored entry unless told otherwise.
        public init(
            name: String, data: Data, deflate: Bool = false, unixMode: UInt32? = 0o100644, flags: UInt16 = 0x0800,
            localName: String? = nil, rawName: Data? = nil, declaredSize: UInt32? = nil, crc: UInt32? = nil
        ) {
            self.name = name
            self.data = data
            self.deflate = deflate
            self.unixMode = unixMode
            self.flags = flags
            self.localName = localName
            self.rawName = rawName
            self.declaredSize = declaredSize
            self.crc = crc
        }
    }

    /// The archive holding `entries` in order, with a central directory and end record describing them.
    public static func build(_ entries: [Entry]) throws -> Data {
        var out = Data()
        var central = Data()
        for entry in entries {
            let payload = entry.deflate ? try compress(entry.data) : entry.data
            let crc = entry.crc ?? entry.data.crc32(checksum: 0)
            let size = entry.declaredSize ?? UInt32(entry.data.count)
            let offset = UInt32(out.count)
            let method: UInt16 = entry.deflate ? 8 : 0
            let name = entry.rawName ?? Data(entry.name.utf8)
            let localName = entry.localName.map { Data($0.utf8) } ?? name
            out += le32(0x0403_4B50) + le16(20) + le16(entry.flags) + le16(method) + le16(0) + le16(0x5B21)
            out += le32(crc) + le32(UInt32(payload.count)) + le32(size)
            out += le16(UInt16(localName.count)) + le16(0) + localName + payload
            let madeBy: UInt16 = entry.unixMode == nil ? 20 : (3 << 8) | 20
            central += le32(0x0201_4B50) + le16(madeBy) + le16(20) + le16(entry.flags) + le16(method) + le16(0)
            central += le16(0x5B21) + le32(crc) + le32(UInt32(payload.count)) + le32(size)
            central += le16(UInt16(name.count)) + le16(0) + le16(0) + le16(0) + le16(0)
            central += le32((entry.unixMode ?? 0) << 16) + le32(offset) + name
        }
        return out + central + endRecord(count: entries.count, centralSize: central.count, centralOffset: out.count)
    }

    /// Two entries whose data overlap: the second entry's header and data sit inside the first's data.
    public static func overlapping() -> Data {
        let inner = Data(count: 4096)
        let innerLocal = localHeader(name: "MRI/IM000002", data: inner) + inner
        let outer = localHeader(name: "MRI/IM000001", data: innerLocal)
        let innerOffset = UInt32(outer.count)
        let body = outer + innerLocal
        let directory = centralHeader(name: "MRI/IM000001", data: innerLocal, offset: 0)
            + centralHeader(name: "MRI/IM000002", data: inner, offset: innerOffset)
        return body + directory + endRecord(count: 2, centralSize: directory.count, centralOffset: body.count)
    }

    private static func localHeader(name: String, data: Data) -> Data {
        let nameBytes = Data(name.utf8)
        var header = le32(0x0403_4B50) + le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x5B21)
        header += le32(data.crc32(checksum: 0)) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        header += le16(UInt16(nameBytes.count)) + le16(0) + nameBytes
        return header
    }

    private static func centralHeader(name: String, data: Data, offset: UInt32) -> Data {
        let nameBytes = Data(name.utf8)
        var header = le32(0x0201_4B50) + le16((3 << 8) | 20) + le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x5B21)
        header += le32(data.crc32(checksum: 0)) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        header += le16(UInt16(nameBytes.count)) + le16(0) + le16(0) + le16(0) + le16(0)
        header += le32(0o100644 << 16) + le32(offset) + nameBytes
        return header
    }

    private static func endRecord(count: Int, centralSize: Int, centralOffset: Int) -> Data {
        var record = le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(count)) + le16(UInt16(count))
        record += le32(UInt32(centralSize)) + le32(UInt32(centralOffset)) + le16(0)
        return record
    }

    private static func compress(_ data: Data) throws -> Data {
        var out = Data()
        _ = try Data.compress(size: Int64(data.count), bufferSize: 64 * 1024, provider: { position, size in
            data.subdata(in: Int(position)..<min(data.count, Int(position) + size))
        }, consumer: { out += $0 })
        return out
    }

    private static func le16(_ value: UInt16) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
    private static func le32(_ value: UInt32) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
}
