/// How a data set's element headers are encoded: the only part of a transfer syntax the header reader needs.
/// Compressed syntaxes compress pixel data only, so their headers are explicit VR little endian.
enum DicomEncoding: Sendable, Equatable {
    /// Two-byte VR after the tag; little-endian numbers. The file meta group is always this.
    case explicitLittle
    /// No VR (the tag implies it); four-byte lengths; little-endian numbers.
    case implicitLittle
    /// Two-byte VR after the tag; big-endian numbers (retired, but still on old CDs).
    case explicitBig

    /// Whether an element header carries its VR.
    var isExplicit: Bool { self != .implicitLittle }
    /// Whether numbers are big-endian.
    var isBigEndian: Bool { self == .explicitBig }

    /// The encoding of the data set for a transfer syntax UID, or the problem that stops the reader.
    static func forTransferSyntax(_ uid: String) -> Result<DicomEncoding, DicomReadProblem> {
        switch uid {
        case "1.2.840.10008.1.2": return .success(.implicitLittle)
        case "1.2.840.10008.1.2.2": return .success(.explicitBig)
        // Encapsulated uncompressed and every compressed syntax keep an explicit little-endian header.
        case "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.98": return .success(.explicitLittle)
        // Deflated, and JPIP referenced deflate: the whole data set is a zlib stream, which this reader does not inflate.
        case "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95": return .failure(.unsupportedTransferSyntax(uid))
        default:
            // JPEG, JPEG-LS, JPEG 2000, HTJ2K, JPEG XL, MPEG, HEVC (1.2.4.x) and RLE (1.2.5).
            if uid.hasPrefix("1.2.840.10008.1.2.4.") || uid == "1.2.840.10008.1.2.5" {
                return .success(.explicitLittle)
            }
            return .failure(.unsupportedTransferSyntax(uid.isEmpty ? "(empty)" : uid))
        }
    }
}

/// A tag, its group in the high half: (gggg,eeee) as one number, so tags compare in file order.
typealias DicomTagNumber = UInt32

extension DicomTagNumber {
    /// `(gggg,eeee)`, the way dcmtk and the standard print a tag, for problem messages.
    var dicomNotation: String {
        let hex = String(self, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: Swift.max(0, 8 - hex.count)) + hex
        return "(\(padded.prefix(4)),\(padded.suffix(4)))"
    }
}

/// Tags with a structural meaning, the same in every transfer syntax.
enum DicomStructuralTag {
    /// Starts an item of a sequence (or a fragment of encapsulated pixel data).
    static let item: DicomTagNumber = 0xFFFE_E000
    /// Ends an item of undefined length.
    static let itemDelimitation: DicomTagNumber = 0xFFFE_E00D
    /// Ends a sequence of undefined length.
    static let sequenceDelimitation: DicomTagNumber = 0xFFFE_E0DD
    /// Pixel Data: the header ends here.
    static let pixelData: DicomTagNumber = 0x7FE0_0010
    /// The length that means "until a delimitation item".
    static let undefinedLength: UInt32 = 0xFFFF_FFFF
}
