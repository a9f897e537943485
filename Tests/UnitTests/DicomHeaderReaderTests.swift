import Foundation
@testable import OpineCore
import Testing

/// The DICOM header reader on files written byte by byte: every decoded tag in each transfer syntax, sequences,
/// character sets, and hostile inputs that must end quickly in a named problem, never a crash or a hang.
@Suite("DICOM header reader: every tag, each syntax, sequences, character sets, hostile bytes")
struct DicomHeaderReaderTests {
    typealias W = DicomWriter

    /// A data set carrying every tag the reader decodes, in file order, with a sequence of noise between them.
    static func fullDataSet(_ s: W.Syntax, characterSet: String = "ISO_IR 192", name: [UInt8] = Array("Doe^Jane^Q^Dr^Jr".utf8)) -> [UInt8] {
        W.text(0x0008_0005, "CS", characterSet, s)
            + W.text(0x0008_0008, "CS", "ORIGINAL\\PRIMARY\\M\\ND", s)
            + W.text(0x0008_0016, "UI", "1.2.840.10008.5.1.4.1.1.4", s)
            + W.text(0x0008_0020, "DA", "20261014", s)
            + W.text(0x0008_0060, "CS", "MR", s)
            + W.text(0x0008_0070, "LO", "SIEMENS", s)
            + W.text(0x0008_0080, "LO", "Klinik Nord", s)
            + W.text(0x0008_1030, "LO", "MRT LWS", s)
            + W.text(0x0008_103E, "LO", "t2_tse_sag", s)
            + W.text(0x0008_1090, "LO", "Avanto", s)
            + W.bytes(0x0010_0010, "PN", name, s)
            + W.text(0x0010_0020, "LO", "PID-7", s)
            + W.text(0x0010_0030, "DA", "19680402", s)
            + W.text(0x0018_0015, "CS", "LSPINE", s)
            + W.text(0x0018_0050, "DS", "4.5", s)
            + W.text(0x0018_0087, "DS", "1.5", s)
            + W.text(0x0018_1030, "LO", "L-SPINE", s)
            + W.text(0x0020_000D, "UI", "1.2.3.4", s)
            + W.text(0x0020_000E, "UI", "1.2.3.4.5", s)
            + W.text(0x0020_0011, "IS", "3", s)
            + W.text(0x0020_0037, "DS", "0\\1\\0\\0\\0\\-1", s)
    }

    static var expected: DicomHeader {
        var h = DicomHeader()
        h.mediaStorageSOPClass = "1.2.840.10008.5.1.4.1.1.4"
        h.sopClassUID = "1.2.840.10008.5.1.4.1.1.4"
        h.imageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
        h.studyDate = "20261014"
        h.modality = "MR"
        h.manufacturer = "SIEMENS"
        h.institutionName = "Klinik Nord"
        h.studyDescription = "MRT LWS"
        h.seriesDescription = "t2_tse_sag"
        h.manufacturerModelName = "Avanto"
        h.patientName = DicomPersonName(family: "Doe", given: "Jane", middle: "Q", prefix: "Dr", suffix: "Jr")
        h.patientID = "PID-7"
        h.patientBirthDate = "19680402"
        h.bodyPartExamined = "LSPINE"
        h.sliceThickness = 4.5
        h.magneticFieldStrength = 1.5
        h.protocolName = "L-SPINE"
        h.studyInstanceUID = "1.2.3.4"
        h.seriesInstanceUID = "1.2.3.4.5"
        h.seriesNumber = 3
        h.imageOrientationPatient = [0, 1, 0, 0, 0, -1]
        return h
    }

    static func read(_ bytes: [UInt8], isComplete: Bool = true) -> Result<DicomHeader, DicomReadProblem> {
        DicomHeaderReader.read(bytes, isComplete: isComplete)
    }

    @Test("Every decoded tag comes out in each transfer syntax", arguments: W.Syntax.allCases)
    func everyTag(_ syntax: W.Syntax) throws {
        let pixels = W.element(0x7FE0_0010, "OW", [UInt8](repeating: 7, count: 64), syntax)
        let header = try Self.read(W.file(syntax, Self.fullDataSet(syntax) + pixels)).get()
        var expected = Self.expected
        expected.transferSyntax = syntax.rawValue
        #expect(header == expected)
        #expect(!header.isDicomdir)
    }

    @Test("A prefix of a file whose header fits reads like the whole file")
    func prefix() throws {
        let file = W.file(.explicitLittle, Self.fullDataSet(.explicitLittle) + W.element(0x7FE0_0010, "OB", [UInt8](repeating: 1, count: 4096), .explicitLittle))
        #expect(try Self.read(Array(file.prefix(file.count - 100)), isComplete: false).get().patientID == "PID-7")
        #expect(Self.read(Array(file.prefix(400)), isComplete: false) == .failure(.limitExceeded("the header runs past the first 400 bytes")))
        // Found by the fuzzer: a prefix ending between meta elements may go on, so it is a limit, not a missing syntax.
        let metaOnly = Array(W.file(.explicitLittle, []).prefix(158))
        #expect(Self.read(metaOnly, isComplete: false) == .failure(.limitExceeded("the header runs past the first 158 bytes")))
        #expect("\(Self.read(metaOnly, isComplete: true))".contains("truncated"))
    }

    @Test("Deflated and unknown transfer syntaxes are reported, not guessed")
    func unsupported() throws {
        let deflated = W.file(.explicitLittle, [0x78, 0x9C, 1, 2], transferSyntax: "1.2.840.10008.1.2.1.99")
        #expect(Self.read(deflated) == .failure(.unsupportedTransferSyntax("1.2.840.10008.1.2.1.99")))
        let unknown = W.file(.explicitLittle, [], transferSyntax: "1.3.6.1.4.1.9999.1")
        #expect(Self.read(unknown) == .failure(.unsupportedTransferSyntax("1.3.6.1.4.1.9999.1")))
        let jpeg = W.file(.explicitLittle, W.text(0x0008_0060, "CS", "CT", .explicitLittle), transferSyntax: "1.2.840.10008.1.2.4.50")
        #expect(try Self.read(jpeg).get().modality == "CT", "compressed syntaxes have an explicit little-endian header")
    }

    @Test("Nested sequences of defined and undefined length are walked; tags inside them are not the patient's", arguments: W.Syntax.allCases)
    func nestedSequences(_ s: W.Syntax) throws {
        let decoy = W.text(0x0010_0010, "PN", "Other^Person", s) + W.text(0x0008_0060, "CS", "OT", s)
        // Implicit VR cannot mark a defined-length sequence, so there it is skipped by length; walked elsewhere.
        let inner = W.sequence(0x0008_1250, W.item(decoy, undefinedLength: false, s) + W.item(decoy, undefinedLength: true, s), undefinedLength: false, s)
        let middle = W.sequence(0x0008_1140, W.item(decoy + inner, undefinedLength: true, s), undefinedLength: true, s)
        let outer = W.sequence(0x0008_1115, W.item(middle, undefinedLength: false, s) + W.item([], undefinedLength: true, s), undefinedLength: true, s)
        let dataSet = W.text(0x0008_0060, "CS", "MR", s) + outer + W.text(0x0010_0010, "PN", "Doe^Jane", s) + W.text(0x0010_0020, "LO", "P1", s)
        let header = try Self.read(W.file(s, dataSet)).get()
        #expect(header.modality == "MR")
        #expect(header.patientName == DicomPersonName(family: "Doe", given: "Jane"))
        #expect(header.patientID == "P1")
    }

    @Test("Person names: components at ^, the alphabetic group before =, missing parts empty")
    func personNames() throws {
        func name(_ raw: String) throws -> DicomPersonName? {
            try Self.read(W.file(.explicitLittle, Self.fullDataSet(.explicitLittle, name: Array(raw.utf8)))).get().patientName
        }
        #expect(try name("DOE^JOHN") == DicomPersonName(family: "DOE", given: "JOHN"))
        #expect(try name("Doe") == DicomPersonName(family: "Doe"))
        #expect(try name("Doe^^^^Jr") == DicomPersonName(family: "Doe", suffix: "Jr"))
        #expect(try name("Yamada^Tarou=山田^太郎=やまだ^たろう") == DicomPersonName(family: "Yamada", given: "Tarou"))
        #expect(try name("") == nil)
    }

    @Test("UTF-8 (ISO_IR 192) and Latin-1 (ISO_IR 100) names decode to the same text")
    func characterSets() throws {
        let utf8 = try Self.read(W.file(.explicitLittle, Self.fullDataSet(.explicitLittle, name: Array("Müller^Zoë".utf8)))).get()
        #expect(utf8.patientName == DicomPersonName(family: "Müller", given: "Zoë"))
        let latin1Bytes: [UInt8] = Array("M".utf8) + [0xFC] + Array("ller^Zo".utf8) + [0xEB]
        let latin1 = try Self.read(W.file(.implicitLittle, Self.fullDataSet(.implicitLittle, characterSet: "ISO_IR 100", name: latin1Bytes))).get()
        #expect(latin1.patientName == utf8.patientName)
        let undeclared = W.file(.explicitBig, W.bytes(0x0010_0010, "PN", latin1Bytes, .explicitBig))
        #expect(try Self.read(undeclared).get().patientName?.family == "Müller", "other sets decode as Latin-1, best effort")
        let multi = try Self.read(W.file(.explicitLittle, Self.fullDataSet(.explicitLittle, characterSet: "\\ISO 2022 IR 100", name: latin1Bytes))).get()
        #expect(multi.patientName == utf8.patientName)
    }

    @Test("A DICOMDIR (no pixel data, records in a sequence) is recognised")
    func dicomdir() throws {
        let s = W.Syntax.explicitLittle
        let record = W.text(0x0004_1430, "CS", "PATIENT", s) + W.text(0x0010_0010, "PN", "Doe^Jane", s)
        let dataSet = W.text(0x0004_1130, "CS", "OPINE", s) + W.sequence(0x0004_1220, W.item(record, undefinedLength: true, s), undefinedLength: true, s)
        let header = try Self.read(W.file(s, dataSet, sopClass: "1.2.840.10008.1.3.10")).get()
        #expect(header.isDicomdir)
        #expect(header.patientName == nil, "the records' names are not the file's")
        #expect(header.imageType == [])
    }

    @Test("Pixel data early ends the header: what came before is returned, nothing after is read")
    func pixelDataEarly() throws {
        let s = W.Syntax.explicitLittle
        let dataSet = W.text(0x0008_0060, "CS", "MR", s) + W.element(0x7FE0_0010, "OB", [], s, length: 0xFFFF_FFFF)
            + [UInt8](repeating: 0xFF, count: 32)
        let header = try Self.read(W.file(s, dataSet)).get()
        #expect(header.modality == "MR")
        #expect(header.patientName == nil)
        let huge = W.text(0x0008_0060, "CS", "CT", s) + W.element(0x7FE0_0010, "OW", [], s, length: 0xFFFF_FFF0)
        #expect(try Self.read(W.file(s, huge)).get().modality == "CT", "its length is never looked at")
    }
}

extension DicomHeaderReaderTests {
    /// Inputs built to break a reader: each must end quickly in a named problem. Nested, so the suite's filter runs it.
    @Suite("DICOM header reader: hostile inputs end in a clear problem")
    struct Hostile {
        typealias W = DicomWriter
        static func read(_ bytes: [UInt8], isComplete: Bool = true) -> Result<DicomHeader, DicomReadProblem> {
            DicomHeaderReader.read(bytes, isComplete: isComplete)
        }

        static func problem(_ bytes: [UInt8]) -> DicomReadProblem? {
            if case .failure(let problem) = read(bytes) { return problem }
            return nil
        }

        @Test("Not DICOM: short, empty, or no DICM at 128")
        func notDicom() {
            #expect(Self.problem([]) == .notDicom)
            #expect(Self.problem([UInt8](repeating: 0, count: 131)) == .notDicom)
            #expect(Self.problem([UInt8](repeating: 0, count: 600)) == .notDicom)
        }

        @Test("Every truncation of a valid file is a truncation or a shorter header, never a crash", arguments: W.Syntax.allCases)
        func everyTruncation(_ s: W.Syntax) {
            let file = W.file(s, DicomHeaderReaderTests.fullDataSet(s))
            for end in 0..<file.count {
                switch Self.read(Array(file.prefix(end))) {
                case .success, .failure(.truncated), .failure(.notDicom), .failure(.malformed): break
                case .failure(let other): Issue.record("cut at \(end): \(other)")
                }
            }
            #expect(Self.problem(Array(file.dropLast(3)))?.description.hasPrefix("truncated") == true)
        }

        @Test("Lengths past the end, a 0xFFFFFFF0 length and odd lengths are clean errors")
        func badLengths() {
            let s = W.Syntax.explicitLittle
            let past = W.file(s, W.element(0x0008_0060, "CS", Array("MR".utf8), s, length: 40))
            #expect(Self.problem(past)?.description.hasPrefix("truncated") == true)
            let huge = W.file(s, W.element(0x0009_0010, "OB", [1, 2], s, length: 0xFFFF_FFF0))
            #expect(Self.problem(huge)?.description.hasPrefix("truncated") == true)
            let odd = W.file(s, W.element(0x0008_0060, "CS", Array("MRI".utf8), s))
            #expect(Self.problem(odd) == .malformed("(0008,0060) has an odd length 3"))
            let big = W.file(.implicitLittle, W.element(0x0009_1000, "UN", [], .implicitLittle, length: 0xFFFF_FFF0))
            #expect(Self.problem(big)?.description.hasPrefix("truncated") == true)
            let itemTooLong = W.file(s, W.sequence(0x0008_1115, W.tag(0xFFFE_E000, big: false) + W.u32(100, big: false), undefinedLength: false, s))
            #expect(Self.problem(itemTooLong) != nil)
        }

        @Test("10,000-deep sequences hit the depth limit without recursion", arguments: [true, false])
        func deepSequences(_ undefinedLength: Bool) {
            let s = W.Syntax.explicitLittle
            // Built from both ends (headers outermost first, then closers), not by re-wrapping, to stay linear.
            let content = W.text(0x0008_0060, "CS", "MR", s)
            var opening: [UInt8] = [], closing: [UInt8] = []
            for level in (0..<10_000).reversed() {
                let itemLength = UInt32(content.count + level * 20)
                let sequenceLength = undefinedLength ? W.undefined : itemLength + 8
                opening += W.element(0x0008_1115, "SQ", [], s, length: sequenceLength)
                    + W.tag(0xFFFE_E000, big: false) + W.u32(undefinedLength ? W.undefined : itemLength, big: false)
                if undefinedLength { closing += W.tag(0xFFFE_E00D, big: false) + [0, 0, 0, 0] + W.tag(0xFFFE_E0DD, big: false) + [0, 0, 0, 0] }
            }
            let nested = opening + content + closing
            #expect(Self.problem(W.file(s, nested)) == .limitExceeded("sequences nested deeper than 16"))
            // Only the headers, no closing delimiters: the depth limit still comes first.
            let opened = (0..<10_000).flatMap { _ in W.element(0x0008_1115, "SQ", [], s, length: 0xFFFF_FFFF) + W.tag(0xFFFE_E000, big: false) + W.u32(0xFFFF_FFFF, big: false) }
            #expect(Self.problem(W.file(s, opened)) == .limitExceeded("sequences nested deeper than 16"))
        }

        @Test("Element count and value size are bounded")
        func limits() throws {
            let s = W.Syntax.explicitLittle
            let many = (0..<100_001).flatMap { _ in W.element(0x0009_0010, "LO", [], s) }
            #expect(Self.problem(W.file(s, many)) == .limitExceeded("more than 100000 elements"))
            let long = W.file(s, W.element(0x0010_0010, "UT", [UInt8](repeating: 0x41, count: 70_000), s))
            #expect(Self.problem(long)?.description.hasPrefix("limit exceeded: (0010,0010) is 70000 bytes") == true)
            let skipped = W.file(s, W.element(0x0009_1001, "OB", [UInt8](repeating: 0, count: 200_000), s) + W.text(0x0010_0020, "LO", "P", s))
            #expect(try Self.read(skipped).get().patientID == "P", "an unknown long value is skipped, not refused")
        }

        @Test("Misplaced delimiters, bad VRs and a missing transfer syntax are malformed")
        func structure() {
            let s = W.Syntax.explicitLittle
            #expect(Self.problem(W.file(s, W.tag(0xFFFE_E00D, big: false) + W.u32(0, big: false))) == .malformed("an item delimiter outside an item of undefined length"))
            #expect(Self.problem(W.file(s, W.tag(0xFFFE_E000, big: false) + W.u32(0, big: false))) == .malformed("(FFFE,E000) outside a sequence"))
            #expect(Self.problem(W.file(s, W.tag(0x0008_0060, big: false) + [0x01, 0x02, 0, 0])) == .malformed("(0008,0060) has no valid VR (bytes 1, 2)"))
            let inSequence = W.sequence(0x0008_1115, W.text(0x0008_0060, "CS", "MR", s), undefinedLength: true, s)
            #expect(Self.problem(W.file(s, inSequence)) == .malformed("(0008,0060) where a sequence item was expected"))
            let noSyntax = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + W.text(0x0002_0002, "UI", "1.2", .explicitLittle)
            #expect(Self.problem(noSyntax) == .malformed("the file meta group has no transfer syntax (0002,0010)"))
        }

        @Test("Random bytes after DICM end in a problem or a header, quickly")
        func randomBytes() {
            var generator = SplitMix(seed: 15)
            let start = ContinuousClock.now
            for round in 0..<2_000 {
                let meta = round % 2 == 0 ? W.meta(transferSyntax: W.Syntax.allCases[round % 3].rawValue) : []
                let noise = (0..<(round % 700)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                _ = Self.read([UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + meta + noise)
            }
            #expect(ContinuousClock.now - start < .seconds(20))
        }
    }

}

/// A small deterministic generator, so a failing random input can be reproduced.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
