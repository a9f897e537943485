/// The reader's bounds: a hostile file meets one of these long before it meets the machine's.
enum DicomLimits {
    /// Sequences nested deeper than this are refused (real files nest three or four deep).
    static let maxDepth = 16
    /// Element headers read, items and delimiters included, before the reader gives up.
    static let maxElements = 100_000
    /// The longest value of a decoded tag; other values are skipped by length, never copied.
    static let maxValueBytes = 64 << 10
}

/// One element's header: where its value starts, how long it is, and its VR when the encoding spells it.
struct DicomElementHeader {
    /// (gggg,eeee) as one number.
    var tag: DicomTagNumber
    /// The two VR letters, or nil in implicit VR.
    var vr: String?
    /// The value length; `DicomStructuralTag.undefinedLength` for "until a delimiter".
    var length: UInt32
    /// The offset of the first value byte.
    var valueOffset: Int
}

/// Walks a data set element by element without recursion: open sequences and items are frames on an explicit
/// stack, so a file nested 10,000 deep costs a bounded array and a `limitExceeded`, never the thread's stack.
/// Every step either reads at least one eight-byte element header or closes a frame, so the walk always ends.
struct DicomElementWalker {
    /// An open sequence or item: where it ends (nil for undefined length, closed by a delimiter), the offset nothing
    /// inside it may pass, and how the elements inside it are encoded.
    struct Frame {
        var isSequence: Bool
        var end: Int?
        var bound: Int
        var encoding: DicomEncoding
    }

    let bytes: UnsafeRawBufferPointer
    let isComplete: Bool
    var offset: Int
    var frames: [Frame] = []
    var elementCount = 0
    /// Raw values of the decoded tags met at the top level of the data set (or in the meta group).
    var values: [DicomTagNumber: [UInt8]] = [:]

    init(bytes: UnsafeRawBufferPointer, isComplete: Bool, offset: Int) {
        self.bytes = bytes
        self.isComplete = isComplete
        self.offset = offset
    }

    private var sequenceDepth: Int { frames.count(where: \.isSequence) }

    /// Reads the data set from `offset` in `encoding` until Pixel Data, an undefined-length value that is not a
    /// sequence, or the end of a complete file.
    mutating func walkDataSet(_ encoding: DicomEncoding) throws(DicomReadProblem) {
        while true {
            try closeFinishedFrames()
            if frames.isEmpty, offset == bytes.count {
                guard isComplete else { throw beyondPrefix() }
                return
            }
            try countElement()
            let current = frames.last?.encoding ?? encoding
            if let top = frames.last, top.isSequence {
                try stepInSequence(current)
            } else if try !stepInDataSet(current, atTopLevel: frames.isEmpty) {
                return
            }
        }
    }

    /// Counts one element header against the limit.
    mutating func countElement() throws(DicomReadProblem) {
        elementCount += 1
        guard elementCount <= DicomLimits.maxElements else {
            throw .limitExceeded("more than \(DicomLimits.maxElements) elements")
        }
    }

    /// Pops every defined-length frame that ends exactly here.
    private mutating func closeFinishedFrames() throws(DicomReadProblem) {
        while let top = frames.last, let end = top.end, offset >= end {
            guard offset == end else { throw .malformed("an element runs past the end of its \(top.isSequence ? "sequence" : "item")") }
            frames.removeLast()
        }
    }

    /// Inside a sequence only items and the sequence delimiter may appear.
    private mutating func stepInSequence(_ encoding: DicomEncoding) throws(DicomReadProblem) {
        try need(8, "an item header")
        let tag = readTag(at: offset, encoding)
        let length = readUInt32(at: offset + 4, bigEndian: encoding.isBigEndian)
        let top = frames[frames.count - 1]
        offset += 8
        switch tag {
        case DicomStructuralTag.item:
            if length == DicomStructuralTag.undefinedLength {
                frames.append(Frame(isSequence: false, end: nil, bound: top.bound, encoding: encoding))
            } else {
                let end = try valueEnd(length, tag)
                frames.append(Frame(isSequence: false, end: end, bound: end, encoding: encoding))
            }
        case DicomStructuralTag.sequenceDelimitation:
            guard top.end == nil else { throw .malformed("a sequence delimiter closes a sequence of defined length") }
            frames.removeLast()
        default:
            throw .malformed("\(tag.dicomNotation) where a sequence item was expected")
        }
    }

    /// Reads one element of a data set or item; false when the header ends here (Pixel Data, or an undefined-length
    /// value that is not a sequence, which only a walk of its fragments could skip).
    private mutating func stepInDataSet(_ encoding: DicomEncoding, atTopLevel: Bool) throws(DicomReadProblem) -> Bool {
        let start = offset
        try need(8, "an element header")
        let tag = readTag(at: offset, encoding)
        if tag == DicomStructuralTag.itemDelimitation {
            guard let top = frames.last, top.end == nil else { throw .malformed("an item delimiter outside an item of undefined length") }
            frames.removeLast()
            offset += 8
            return true
        }
        if tag >> 16 == 0xFFFE { throw .malformed("\(tag.dicomNotation) outside a sequence") }
        if atTopLevel, tag == DicomStructuralTag.pixelData { return false }
        let element = try readElementHeader(encoding)
        if element.length == DicomStructuralTag.undefinedLength {
            // Implicit VR allows undefined length only for sequences; explicit UN of undefined length is a
            // sequence encoded in implicit VR little endian (PS3.5 6.2.2).
            switch (encoding.isExplicit, element.vr) {
            case (true, "SQ"): try openSequence(end: nil, encoding)
            case (true, "UN"), (false, _): try openSequence(end: nil, .implicitLittle)
            default: offset = start; return false
            }
            return true
        }
        let end = try valueEnd(element.length, tag)
        if element.vr == "SQ" {
            try openSequence(end: end, encoding)
            return true
        }
        if atTopLevel, DicomDecodedTag(rawValue: tag) != nil {
            guard element.length <= DicomLimits.maxValueBytes else {
                throw .limitExceeded("\(tag.dicomNotation) is \(element.length) bytes, more than \(DicomLimits.maxValueBytes)")
            }
            values[tag] = Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
        }
        offset = end
        return true
    }

    private mutating func openSequence(end: Int?, _ encoding: DicomEncoding) throws(DicomReadProblem) {
        guard sequenceDepth < DicomLimits.maxDepth else {
            throw .limitExceeded("sequences nested deeper than \(DicomLimits.maxDepth)")
        }
        frames.append(Frame(isSequence: true, end: end, bound: end ?? frames.last?.bound ?? bytes.count, encoding: encoding))
    }

    /// Reads the element header at `offset` and moves `offset` to its value.
    mutating func readElementHeader(_ encoding: DicomEncoding) throws(DicomReadProblem) -> DicomElementHeader {
        try need(8, "an element header")
        let tag = readTag(at: offset, encoding)
        guard encoding.isExplicit else {
            let length = readUInt32(at: offset + 4, bigEndian: false)
            offset += 8
            return DicomElementHeader(tag: tag, vr: nil, length: length, valueOffset: offset)
        }
        let first = bytes[offset + 4], second = bytes[offset + 5]
        guard (0x41...0x5A).contains(first), (0x41...0x5A).contains(second) else {
            throw .malformed("\(tag.dicomNotation) has no valid VR (bytes \(first), \(second))")
        }
        let vr = String(decoding: [first, second], as: UTF8.self)
        if DicomElementWalker.longFormVRs.contains(vr) {
            try need(12, "the header of \(tag.dicomNotation)")
            let length = readUInt32(at: offset + 8, bigEndian: encoding.isBigEndian)
            offset += 12
            return DicomElementHeader(tag: tag, vr: vr, length: length, valueOffset: offset)
        }
        let length = UInt32(readUInt16(at: offset + 6, bigEndian: encoding.isBigEndian))
        offset += 8
        return DicomElementHeader(tag: tag, vr: vr, length: length, valueOffset: offset)
    }

    /// VRs whose explicit header has two reserved bytes and a four-byte length (PS3.5 7.1.2).
    static let longFormVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    /// Where a defined-length value starting at `offset` ends, once it is known to be even and inside the file and
    /// the frame enclosing it.
    func valueEnd(_ length: UInt32, _ tag: DicomTagNumber) throws(DicomReadProblem) -> Int {
        guard length & 1 == 0 else { throw .malformed("\(tag.dicomNotation) has an odd length \(length)") }
        try need(Int(length), "the value of \(tag.dicomNotation) (\(length) bytes)")
        return offset + Int(length)
    }

    /// Fails unless `count` bytes from `offset` lie inside the enclosing frame and the bytes given. Compares against
    /// what remains, so no offset arithmetic can overflow.
    func need(_ count: Int, _ what: String) throws(DicomReadProblem) {
        let bound = frames.last?.bound ?? bytes.count
        guard count > bound - offset else { return }
        if bound < bytes.count { throw .malformed("\(what) runs past the end of its sequence or item") }
        if isComplete { throw .truncated("\(what) runs past the end of the file at byte \(offset)") }
        throw beyondPrefix()
    }

    func beyondPrefix() -> DicomReadProblem {
        .limitExceeded("the header runs past the first \(bytes.count) bytes")
    }

    func readTag(at position: Int, _ encoding: DicomEncoding) -> DicomTagNumber {
        let group = readUInt16(at: position, bigEndian: encoding.isBigEndian)
        let element = readUInt16(at: position + 2, bigEndian: encoding.isBigEndian)
        return DicomTagNumber(group) << 16 | DicomTagNumber(element)
    }

    func readUInt16(at position: Int, bigEndian: Bool) -> UInt16 {
        let a = UInt16(bytes[position]), b = UInt16(bytes[position + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    func readUInt32(at position: Int, bigEndian: Bool) -> UInt32 {
        let first = UInt32(readUInt16(at: position, bigEndian: bigEndian))
        let second = UInt32(readUInt16(at: position + 2, bigEndian: bigEndian))
        return bigEndian ? first << 16 | second : second << 16 | first
    }
}
