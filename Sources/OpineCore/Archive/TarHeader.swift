/// One member header of a POSIX tar (ustar, with pax extended headers for long paths and large sizes), encoded and
/// decoded without I/O. Opine writes its backups as tar streams itself rather than linking an archive library into
/// `opine`: the format is small, any `tar` reads it, and it streams a study of gigabytes without holding it.
public struct TarHeader: Sendable, Equatable {
    /// The member's kind, from the header's type flag.
    public enum Kind: Sendable, Equatable {
        /// A regular file (`0`, or NUL in old archives).
        case file
        /// A directory (`5`).
        case directory
        /// A pax extended header (`x`) for the member that follows.
        case paxExtended
        /// Anything else: a link, a device, a FIFO, a global header, a GNU extension; refused on restore.
        case other(UInt8)
    }

    /// The member's path in the archive (relative, `/`-separated).
    public var path: String
    /// Its size in bytes (0 for a directory).
    public var size: Int64
    /// Its kind.
    public var kind: Kind
    /// Its permission bits.
    public var mode: UInt32
    /// Its modification time, in seconds since 1970.
    public var mtime: Int64

    /// A header for a member.
    public init(path: String, size: Int64, kind: Kind, mode: UInt32 = 0o600, mtime: Int64 = 0) {
        self.path = path
        self.size = size
        self.kind = kind
        self.mode = mode
        self.mtime = mtime
    }

    /// Tar's block size: headers and each member's data (padded) come in blocks of 512 bytes.
    public static let blockSize = 512
    /// ustar's size field holds 11 octal digits: anything from 8 GiB goes in a pax header.
    static let largestOctalSize: Int64 = (1 << 33) - 1

    /// The zero bytes that pad a member's `size` bytes of data to a whole block.
    public static func padding(after size: Int64) -> Int {
        let rest = Int(size % Int64(blockSize))
        return rest == 0 ? 0 : blockSize - rest
    }

    /// The blocks that begin this member: a pax header (and its records) when the path does not fit the 100-byte
    /// name field or the size the octal field, then the ustar header.
    public func encoded() -> [UInt8] {
        var pax: [(String, String)] = []
        if path.utf8.count > 100 { pax.append(("path", path)) }
        if size > Self.largestOctalSize { pax.append(("size", String(size))) }
        var out: [UInt8] = []
        if !pax.isEmpty {
            let records = Self.paxRecords(pax)
            out += Self.block(name: "PaxHeaders/member", size: Int64(records.count), flag: UInt8(ascii: "x"), mode: 0o600, mtime: mtime)
            out += records
            out += [UInt8](repeating: 0, count: Self.padding(after: Int64(records.count)))
        }
        let flag: UInt8 = switch kind {
        case .file: UInt8(ascii: "0")
        case .directory: UInt8(ascii: "5")
        case .paxExtended: UInt8(ascii: "x")
        case .other(let byte): byte
        }
        let name = path.utf8.count > 100 ? String(decoding: Array(path.utf8.prefix(100)), as: UTF8.self) : path
        out += Self.block(name: name, size: size > Self.largestOctalSize ? 0 : size, flag: flag, mode: mode, mtime: mtime)
        return out
    }

    /// pax records: `LEN key=value\n`, where LEN counts the whole record, its own digits included.
    static func paxRecords(_ pairs: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in pairs {
            let body = " \(key)=\(value)\n".utf8.count
            var length = body + String(body).count
            if String(length).count != String(body).count { length = body + String(length).count }
            out += Array("\(length) \(key)=\(value)\n".utf8)
        }
        return out
    }

    static func block(name: String, size: Int64, flag: UInt8, mode: UInt32, mtime: Int64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: some Sequence<UInt8>, at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8, at: offset, width: width - 1)
        }
        put(name.utf8, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(max(0, mtime), at: 136, width: 12)
        block[156] = flag
        put("ustar\0".utf8, at: 257, width: 6)
        put("00".utf8, at: 263, width: 2)
        put(repeatElement(UInt8(ascii: " "), count: 8), at: 148, width: 8)
        let sum = block.reduce(0) { $0 + Int64($1) }
        let digits = String(sum, radix: 8)
        put((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8, at: 148, width: 6)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }
}
