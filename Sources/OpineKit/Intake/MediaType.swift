/// The file types a bundle may hold, each with the signature its bytes must carry.
public enum MediaType: String, Codable, Sendable, CaseIterable {
    case pdf = "application/pdf"
    case text = "text/plain"
    case dicom = "application/dicom"
    case jpeg = "image/jpeg"
    case png = "image/png"
}

/// Watches a file's bytes go by (head, tail, UTF-8 validity) so the type check needs no second read.
struct ContentSniffer {
    let mediaType: MediaType
    private(set) var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var utf8 = UTF8Validator()

    static let headBytes = 1024
    static let tailBytes = 1024

    init(mediaType: MediaType) {
        self.mediaType = mediaType
    }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        if head.count < Self.headBytes {
            head.append(contentsOf: chunk.prefix(Self.headBytes - head.count))
        }
        if mediaType == .pdf {
            tail.append(contentsOf: chunk.suffix(Self.tailBytes))
            if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
        }
        if mediaType == .text { utf8.consume(chunk) }
    }

    /// nil when the bytes are what the media type promises, otherwise what is missing.
    func problem() -> String? {
        switch mediaType {
        case .pdf:
            guard head.starts(with: Array("%PDF-".utf8)) else { return "does not start with %PDF-" }
            guard tail.firstRange(of: Array("%%EOF".utf8)) != nil else { return "has no %%EOF near its end" }
        case .dicom:
            guard head.count >= 132, head[128..<132].elementsEqual("DICM".utf8) else {
                return "has no DICM marker after the 128-byte preamble"
            }
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
