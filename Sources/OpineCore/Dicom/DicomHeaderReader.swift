/// Reads the header of a DICOM Part 10 file from its first bytes: the preamble and `DICM`, the file meta group, then
/// the data set up to Pixel Data. Pure and bounded: no I/O, no recursion, no pixel data, a fixed ceiling on depth,
/// element count and value size, so intake can run it on every upload in the pass that hashes it.
public enum DicomHeaderReader {
    /// How much of a file's beginning the reader needs at most: intake keeps this prefix while it hashes the file.
    public static let maxHeaderBytes = 1 << 20

    /// Where the `DICM` marker sits, after the 128-byte preamble.
    static let markerOffset = 128
    /// The group of the file meta elements, always explicit VR little endian.
    static let metaGroup: UInt16 = 0x0002

    /// Reads the header from `bytes`, the file's first bytes (all of it when `isComplete`, else its first
    /// `maxHeaderBytes`). Stops at (7FE0,0010) Pixel Data (never reads pixel data) or at the end of the data set.
    public static func read(_ bytes: UnsafeRawBufferPointer, isComplete: Bool) -> Result<DicomHeader, DicomReadProblem> {
        Result { () throws(DicomReadProblem) -> DicomHeader in try readHeader(bytes, isComplete: isComplete) }
    }

    /// Reads the header from `bytes`, as `read(_:isComplete:)` on a buffer does.
    public static func read(_ bytes: [UInt8], isComplete: Bool) -> Result<DicomHeader, DicomReadProblem> {
        bytes.withUnsafeBytes { read($0, isComplete: isComplete) }
    }

    private static func readHeader(_ bytes: UnsafeRawBufferPointer, isComplete: Bool) throws(DicomReadProblem) -> DicomHeader {
        let dataSetStart = markerOffset + 4
        guard bytes.count >= dataSetStart else {
            // A prefix shorter than the marker can only come from a caller that kept too little.
            if isComplete { throw .notDicom }
            throw .limitExceeded("a prefix of \(bytes.count) bytes ends before the DICM marker")
        }
        guard Array(bytes[markerOffset..<dataSetStart]) == Array("DICM".utf8) else { throw .notDicom }
        var walker = DicomElementWalker(bytes: bytes, isComplete: isComplete, offset: dataSetStart)
        try readMetaGroup(&walker)
        let meta = DicomHeader(values: walker.values)
        guard let uid = meta.transferSyntax else {
            throw .malformed("the file meta group has no transfer syntax (0002,0010)")
        }
        let encoding = try DicomEncoding.forTransferSyntax(uid).get()
        try walker.walkDataSet(encoding)
        return DicomHeader(values: walker.values)
    }

    /// Reads the meta elements: every element of group 0002 from byte 132 on. The scan, not (0002,0000) File Meta
    /// Information Group Length, decides where the group ends: writers get that length wrong, and trusting a wrong
    /// one would start the data set mid-element. The group length is used for one thing: a complete file that ends
    /// inside the group it declares was cut short, not a file with an empty data set.
    private static func readMetaGroup(_ walker: inout DicomElementWalker) throws(DicomReadProblem) {
        var declaredPastEnd = false
        while walker.offset <= walker.bytes.count - 2,
              walker.readUInt16(at: walker.offset, bigEndian: false) == metaGroup {
            try walker.countElement()
            let element = try walker.readElementHeader(.explicitLittle)
            guard element.length != DicomStructuralTag.undefinedLength else {
                throw .malformed("\(element.tag.dicomNotation) in the file meta group has undefined length")
            }
            let end = try walker.valueEnd(element.length, element.tag)
            if element.tag == 0x0002_0000, element.length == 4 {
                // Compared with what remains, so a length near 4 GB cannot overflow an offset.
                declaredPastEnd = UInt64(walker.readUInt32(at: walker.offset, bigEndian: false)) > UInt64(walker.bytes.count - end)
            } else if DicomDecodedTag(rawValue: element.tag) != nil {
                guard element.length <= DicomLimits.maxValueBytes else {
                    throw .limitExceeded("\(element.tag.dicomNotation) is \(element.length) bytes, more than \(DicomLimits.maxValueBytes)")
                }
                walker.values[element.tag] = Array(UnsafeRawBufferPointer(rebasing: walker.bytes[walker.offset..<end]))
            }
            walker.offset = end
        }
        // A prefix that ends in the meta group may go on with more of it: only the whole file can say what is missing.
        if walker.offset > walker.bytes.count - 2, !walker.isComplete { throw walker.beyondPrefix() }
        if declaredPastEnd, walker.isComplete, walker.offset == walker.bytes.count {
            throw .truncated("the file meta group length (0002,0000) runs past the end of the file")
        }
    }
}
