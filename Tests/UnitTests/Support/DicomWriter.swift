/// Writes DICOM bytes for tests: elements, sequences and items in each transfer syntax the header reader walks, and
/// whole Part 10 files around them. Deliberately naive (no dictionary, no validation) so tests can write broken files.
enum DicomWriter {
    /// The three encodings, by transfer syntax UID.
    enum Syntax: String, CaseIterable, CustomStringConvertible {
        case explicitLittle = "1.2.840.10008.1.2.1"
        case implicitLittle = "1.2.840.10008.1.2"
        case explicitBig = "1.2.840.10008.1.2.2"

        var description: String { rawValue }
        var big: Bool { self == .explicitBig }
    }

    static let undefined: UInt32 = 0xFFFF_FFFF
    static let longForm: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    static func u16(_ value: UInt16, big: Bool) -> [UInt8] {
        big ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    static func u32(_ value: UInt32, big: Bool) -> [UInt8] {
        big ? u16(UInt16(value >> 16), big: true) + u16(UInt16(value & 0xFFFF), big: true)
            : u16(UInt16(value & 0xFFFF), big: false) + u16(UInt16(value >> 16), big: false)
    }

    static func tag(_ tag: UInt32, big: Bool) -> [UInt8] {
        u16(UInt16(tag >> 16), big: big) + u16(UInt16(tag & 0xFFFF), big: big)
    }

    /// An element header with `length` (the value's count unless given) followed by `value`.
    static func element(_ tag: UInt32, _ vr: String, _ value: [UInt8], _ syntax: Syntax, length: UInt32? = nil) -> [UInt8] {
        let length = length ?? UInt32(value.count)
        var out = self.tag(tag, big: syntax.big)
        if syntax == .implicitLittle {
            out += u32(length, big: false)
        } else if longForm.contains(vr) {
            out += Array(vr.utf8) + [0, 0] + u32(length, big: syntax.big)
        } else {
            out += Array(vr.utf8) + u16(UInt16(truncatingIfNeeded: length), big: syntax.big)
        }
        return out + value
    }

    /// A text element padded to an even length (NUL for UIDs, space otherwise), as DICOM requires.
    static func text(_ tag: UInt32, _ vr: String, _ text: String, _ syntax: Syntax) -> [UInt8] {
        bytes(tag, vr, Array(text.utf8), syntax)
    }

    /// An element of raw text bytes (another character set), padded to even.
    static func bytes(_ tag: UInt32, _ vr: String, _ raw: [UInt8], _ syntax: Syntax) -> [UInt8] {
        var value = raw
        if value.count % 2 == 1 { value.append(vr == "UI" ? 0 : 0x20) }
        return element(tag, vr, value, syntax)
    }

    /// An item holding `content`, of defined or undefined length.
    static func item(_ content: [UInt8], undefinedLength: Bool, _ syntax: Syntax) -> [UInt8] {
        let big = syntax.big
        if undefinedLength {
            return tag(0xFFFE_E000, big: big) + u32(undefined, big: big) + content + tag(0xFFFE_E00D, big: big) + u32(0, big: big)
        }
        return tag(0xFFFE_E000, big: big) + u32(UInt32(content.count), big: big) + content
    }

    /// A sequence of `items` (already written), of defined or undefined length.
    static func sequence(_ tag: UInt32, _ items: [UInt8], undefinedLength: Bool, _ syntax: Syntax) -> [UInt8] {
        if undefinedLength {
            return element(tag, "SQ", items, syntax, length: undefined) + self.tag(0xFFFE_E0DD, big: syntax.big) + u32(0, big: syntax.big)
        }
        return element(tag, "SQ", items, syntax)
    }

    /// The file meta group (explicit VR little endian, with its group length) naming `transferSyntax`.
    static func meta(transferSyntax: String, sopClass: String = "1.2.840.10008.5.1.4.1.1.4") -> [UInt8] {
        let body = element(0x0002_0001, "OB", [0, 1], .explicitLittle)
            + text(0x0002_0002, "UI", sopClass, .explicitLittle)
            + text(0x0002_0003, "UI", "1.2.826.0.1.3680043.8.498.1", .explicitLittle)
            + text(0x0002_0010, "UI", transferSyntax, .explicitLittle)
        return element(0x0002_0000, "UL", u32(UInt32(body.count), big: false), .explicitLittle) + body
    }

    /// A whole Part 10 file: preamble, `DICM`, meta group and `dataSet`.
    static func file(_ syntax: Syntax, _ dataSet: [UInt8], transferSyntax: String? = nil, sopClass: String = "1.2.840.10008.5.1.4.1.1.4") -> [UInt8] {
        [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + meta(transferSyntax: transferSyntax ?? syntax.rawValue, sopClass: sopClass) + dataSet
    }
}
