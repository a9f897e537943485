#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The file types a bundle may hold, each with the signature its bytes must carry.
public enum MediaType: String, Codable, Sendable, CaseIterable {
    /// PDF: `%PDF-` at the start, `%%EOF` in the last KiB with only line ends after it, and not encrypted.
    case pdf = "application/pdf"
    /// Plain text: valid UTF-8 throughout.
    case text = "text/plain"
    /// DICOM: `DICM` after the 128-byte preamble and a complete file meta header.
    case dicom = "application/dicom"
    /// JPEG: the `FF D8 FF` signature at the start.
    case jpeg = "image/jpeg"
    /// PNG: the eight-byte PNG signature at the start.
    case png = "image/png"
}

/// Watches a file's bytes go by (head, tail, UTF-8 validity, a PDF's /Encrypt) so the type check needs no second read.
package struct ContentSniffer {
    let mediaType: MediaType
    private(set) var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var utf8 = UTF8Validator()
    private var encryptMarker = TokenScanner(token: Array("/Encrypt".utf8))
    private(set) var count: Int64 = 0

    /// What the bytes show beyond their type's signature: an encrypted PDF is refused with its own reason.
    package enum Finding: Equatable {
        /// The bytes are not what the type promises; the text says what is wrong (`content_type_mismatch`).
        case mismatch(String)
        /// A password-protected PDF the reviewer could not open (`file_encrypted`).
        case encrypted(String)
    }

    /// How much of a file's start the signature checks look at (a DICOM meta header fits in it).
    package static let headBytes = 1024
    static let tailBytes = 1024

    /// Starts watching a file that claims to be of `mediaType`.
    package init(mediaType: MediaType) {
        self.mediaType = mediaType
    }

    /// Feeds the next chunk of the file, in order, as it is copied.
    package mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        if head.count < Self.headBytes {
            head.append(contentsOf: chunk.prefix(Self.headBytes - head.count))
        }
        if mediaType == .pdf {
            tail.append(contentsOf: chunk.suffix(Self.tailBytes))
            if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
            encryptMarker.consume(chunk)
        }
        if mediaType == .text { utf8.consume(chunk) }
        count += Int64(chunk.count)
    }

    /// Whether files of `mediaType` are judged by their first `headBytes` and their size alone, so the bytes after
    /// the head may be `skip`ped.
    package static func judgesByHead(_ mediaType: MediaType) -> Bool {
        switch mediaType {
        case .dicom, .jpeg, .png: true
        case .pdf, .text: false
        }
    }

    /// Counts `count` bytes past the head without seeing them, for a type `judgesByHead` whose head is all seen;
    /// false (nothing counted) otherwise: that check needs the bytes.
    package mutating func skip(_ count: Int64) -> Bool {
        guard Self.judgesByHead(mediaType), Int64(head.count) >= min(Int64(Self.headBytes), self.count + count) else { return false }
        self.count += count
        return true
    }

    /// nil when the file is what its media type promises and can be read by the reviewer.
    package func finding() -> Finding? {
        if let problem = problem() { return .mismatch(problem) }
        if mediaType == .pdf, encryptMarker.found {
            return .encrypted("is an encrypted (password-protected) PDF that the reviewing surgeon could not open; send it without a password")
        }
        return nil
    }

    /// nil when the bytes are what the media type promises, otherwise what is missing.
    func problem() -> String? {
        switch mediaType {
        case .pdf:
            guard head.starts(with: Array("%PDF-".utf8)) else { return "does not start with %PDF-" }
            guard let end = tail.ranges(of: Array("%%EOF".utf8)).last else { return "has no %%EOF near its end" }
            // Only line ends may follow the last %%EOF; anything more is another file riding along (a zip, say).
            let after = tail[end.upperBound...].filter { ![0x0A, 0x0D, 0x20, 0x09, 0x00].contains($0) }.count
            guard after == 0 else { return "has data after its final %%EOF (another file appended to it?)" }
        case .dicom:
            guard head.count >= 132, head[128..<132].elementsEqual("DICM".utf8) else {
                return "has no DICM marker after the 128-byte preamble"
            }
            if let problem = DicomMetaHeader.problem(head: head, fileSize: count) { return problem }
        case .jpeg:
            guard head.starts(with: [0xFF, 0xD8, 0xFF]) else { return "does not start with the JPEG signature" }
        case .png:
            guard head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
                return "does not start with the PNG signature"
            }
        case .text:
            guard utf8.isValidAtEnd else { return "is not valid UTF-8 text" }
        }
        return nil
    }
}

extension ContentSniffer {
    /// The same check intake makes of an upload, for bytes already in memory (such as a response letter), so a file
    /// the intake rules would refuse is refused everywhere by one rule; nil when the bytes are what `mediaType` promises.
    package static func check(_ bytes: [UInt8], as mediaType: MediaType) -> Finding? {
        var sniffer = ContentSniffer(mediaType: mediaType)
        bytes.withUnsafeBytes { sniffer.consume($0) }
        return sniffer.finding()
    }
}

/// The DICOM file meta information (PS3.10 7.1): group 0002 in explicit VR little endian, announced by its own
/// group length. A header that is cut short or does not add up means a damaged or disguised file.
package enum DicomMetaHeader {
    static let start = 132

    static func problem(head: [UInt8], fileSize: Int64) -> String? {
        func u16(_ at: Int) -> Int { Int(head[at]) | Int(head[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard head.count >= start + 12, u16(start) == 0x0002, u16(start + 2) == 0x0000,
              head[start + 4] == UInt8(ascii: "U"), head[start + 5] == UInt8(ascii: "L"), u16(start + 6) == 4
        else { return "has no DICOM file meta header (group length) after DICM" }
        let end = start + 12 + u32(start + 8)
        guard Int64(end) <= fileSize, end <= head.count else { return "has a truncated DICOM file meta header" }
        // Every element of the group must lie inside the announced length, exactly.
        var at = start + 12
        while at < end {
            guard at + 8 <= end, u16(at) == 0x0002 else { return "has a malformed DICOM file meta header" }
            let vr = String(decoding: head[(at + 4)..<(at + 6)], as: UTF8.self)
            let long = ["OB", "OW", "OF", "SQ", "UT", "UN"].contains(vr)
            let length = long ? (at + 12 <= end ? u32(at + 8) : Int.max) : u16(at + 6)
            guard length != Int.max else { return "has a truncated DICOM file meta header" }
            at += (long ? 12 : 8) + length
        }
        return at == end ? nil : "has a truncated DICOM file meta header"
    }
}

/// Finds a byte token in a stream of chunks, including across chunk boundaries.
struct TokenScanner {
    let token: [UInt8]
    private var carry: [UInt8] = []
    private(set) var found = false

    init(token: [UInt8]) { self.token = token }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard !found, !chunk.isEmpty else { return }
        // The token may straddle the boundary: look in the end of the last chunk joined to the start of this one.
        let joined = carry + chunk.prefix(token.count - 1)
        if joined.withUnsafeBytes({ Self.contains($0, token) }) || Self.contains(chunk, token) {
            found = true
            return
        }
        carry = Array((carry + chunk.suffix(token.count - 1)).suffix(token.count - 1))
    }

    /// glibc's memmem: the generic `firstRange(of:)` on raw bytes costs more than hashing them.
    static func contains(_ bytes: UnsafeRawBufferPointer, _ token: [UInt8]) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= token.count else { return false }
        return token.withUnsafeBytes { memmem(base, bytes.count, $0.baseAddress, token.count) } != nil
    }
}

/// Incremental UTF-8 validation across chunk boundaries (RFC 3629: no overlongs, surrogates or values past U+10FFFF).
struct UTF8Validator {
    private var needed = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private(set) var failed = false

    var isValidAtEnd: Bool { !failed && needed == 0 }

    mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        guard !failed else { return }
        for byte in bytes {
            if needed == 0 {
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE, 0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F
                case 0xF0: needed = 3; lower = 0x90
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F
                default: failed = true; return
                }
            } else {
                guard byte >= lower, byte <= upper else { failed = true; return }
                lower = 0x80
                upper = 0xBF
                needed -= 1
            }
        }
    }
}
