/// A zip's end-of-central-directory record, found in the file's last bytes. Intake's zip reader and `opine status`
/// both ask first whether a zip upload is whole; finding the record is pure, so both read the same tail the same way.
public struct ZipEndRecord: Sendable, Equatable {
    /// How many entries the central directory holds.
    public var entryCount: Int
    /// The central directory's size in bytes.
    public var directorySize: UInt64
    /// Where the central directory starts in the file.
    public var directoryOffset: UInt64
    /// Where this record starts in the file.
    public var offset: UInt64

    /// The record's fixed size, without its comment.
    public static let fixedBytes = 22
    /// How many of the file's last bytes can hold the record: its fixed part and the longest comment.
    public static let tailBytes = fixedBytes + 0xFFFF

    /// Records a found end record.
    public init(entryCount: Int, directorySize: UInt64, directoryOffset: UInt64, offset: UInt64) {
        self.entryCount = entryCount
        self.directorySize = directorySize
        self.directoryOffset = directoryOffset
        self.offset = offset
    }

    /// The record in `tail`, the last `tail.count` bytes (at most `tailBytes`) of a file of `fileSize` bytes: the
    /// one whose comment ends exactly at the end of the file, on a single-disk archive whose central directory lies
    /// before it. Nil for anything else: junk after the record, a file cut short, a split archive or not a zip.
    public static func find(inTail tail: [UInt8], fileSize: UInt64) -> ZipEndRecord? {
        guard tail.count >= fixedBytes, UInt64(tail.count) <= fileSize else { return nil }
        func u16(_ at: Int) -> UInt64 { UInt64(tail[at]) | UInt64(tail[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt64 { u16(at) | u16(at + 2) << 16 }
        let start = fileSize - UInt64(tail.count)
        for position in stride(from: tail.count - fixedBytes, through: 0, by: -1)
        where u32(position) == 0x0605_4B50 && position + fixedBytes + Int(u16(position + 20)) == tail.count {
            let record = ZipEndRecord(
                entryCount: Int(u16(position + 10)), directorySize: u32(position + 12),
                directoryOffset: u32(position + 16), offset: start + UInt64(position))
            guard u16(position + 4) == 0, u16(position + 6) == 0, u16(position + 8) == u16(position + 10),
                  record.directoryOffset + record.directorySize <= record.offset
            else { return nil }
            return record
        }
        return nil
    }
}
