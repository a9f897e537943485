/// Why a tar stream cannot be read; the message names the member or the offset.
public struct TarFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public var description: String

    /// An error with its message.
    public init(_ description: String) { self.description = description }
}

extension TarHeader {
    /// Decodes one 512-byte header block; nil for an all-zero block (the end of the archive). `pax` holds the
    /// records of a pax header that came just before, which override the path and size.
    public static func decode(_ block: some RandomAccessCollection<UInt8>, pax: [String: String] = [:]) throws(TarFormatError) -> TarHeader? {
        let bytes = Array(block)
        guard bytes.count == blockSize else { throw TarFormatError("a header block is \(bytes.count) bytes, not \(blockSize)") }
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        var sum: Int64 = 0
        for (index, byte) in bytes.enumerated() { sum += (148..<156).contains(index) ? 32 : Int64(byte) }
        guard let recorded = octal(bytes[148..<156]), recorded == sum else {
            throw TarFormatError("a header's checksum does not match: the archive is damaged or not a tar")
        }
        guard Array(bytes[257..<262]) == Array("ustar".utf8) else { throw TarFormatError("a header is not in the ustar format") }
        let kind: Kind = switch bytes[156] {
        case 0, UInt8(ascii: "0"): .file
        case UInt8(ascii: "5"): .directory
        case UInt8(ascii: "x"): .paxExtended
        case let other: .other(other)
        }
        var path = string(bytes[0..<100])
        let prefix = string(bytes[345..<500])
        if !prefix.isEmpty { path = prefix + "/" + path }
        guard var size = octal(bytes[124..<136]) else { throw TarFormatError("\(path.escapedForDisplay): the size field is not octal") }
        if let value = pax["path"] { path = value }
        if let value = pax["size"] {
            guard let parsed = Int64(value), parsed >= 0 else { throw TarFormatError("\(path.escapedForDisplay): the pax size is not a number") }
            size = parsed
        }
        return TarHeader(path: path, size: size, kind: kind, mode: UInt32(truncatingIfNeeded: octal(bytes[100..<108]) ?? 0),
                         mtime: octal(bytes[136..<148]) ?? 0)
    }

    /// The key-value records of a pax header's data.
    public static func parsePax(_ data: [UInt8]) throws(TarFormatError) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > space - index,
                  index + length <= data.count, data[index + length - 1] == UInt8(ascii: "\n"),
                  let equals = data[(space + 1)..<(index + length)].firstIndex(of: UInt8(ascii: "="))
            else { throw TarFormatError("a pax header's records are malformed") }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records[key] = String(decoding: data[(equals + 1)..<(index + length - 1)], as: UTF8.self)
            index += length
        }
        return records
    }

    private static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ field: ArraySlice<UInt8>) -> Int64? {
        let digits = field.filter { $0 != 0 && $0 != UInt8(ascii: " ") }
        if digits.isEmpty { return 0 }
        guard digits.count <= 21, digits.allSatisfy({ (48...55).contains($0) }) else { return nil }
        return digits.reduce(Int64(0)) { $0 * 8 + Int64($1 - 48) }
    }
}
