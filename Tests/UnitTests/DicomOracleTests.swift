import Foundation
@testable import OpineCore
import Testing

extension Tag {
    /// Tests that check Opine against an independent implementation installed on the machine.
    @Tag static var oracle: Self
}

/// The DICOM header reader against dcmtk, an independent reader: pydicom writes files in each transfer syntax, and
/// every tag of `DicomHeader` must match what `dcm2json` reads from the same file. Both tools come from
/// scripts/install-deps.sh; a machine without them fails here rather than skipping a check nobody would notice.
@Suite("DICOM oracle: the header reader agrees with dcmtk's dcm2json on files pydicom writes", .tags(.oracle))
struct DicomOracleTests {
    static let installHint = "run scripts/install-deps.sh (Debian packages dcmtk and python3-pydicom)"

    /// Writes one file per (name, transfer syntax, character set, patient name) with pydicom; prints nothing.
    static let generator = #"""
        import sys
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.sequence import Sequence
        out = sys.argv[1]
        files = [("explicit-le", "1.2.840.10008.1.2.1", True, False, "ISO_IR 192", "Müller^Zoë^^Dr"),
                 ("implicit-le", "1.2.840.10008.1.2", True, True, "ISO_IR 192", "Ørsted^Åsa"),
                 ("explicit-be", "1.2.840.10008.1.2.2", False, False, "ISO_IR 192", "Nuñez^José^María"),
                 ("latin1-le", "1.2.840.10008.1.2.1", True, False, "ISO_IR 100", "Doe^Zoë^^^Jr")]
        for index, (name, syntax, little, implicit, charset, patient) in enumerate(files):
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
            meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1.%d" % index
            meta.TransferSyntaxUID = syntax
            ds = Dataset()
            ds.file_meta = meta
            ds.preamble = b"\0" * 128
            ds.SpecificCharacterSet = charset
            ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
            ds.SOPClassUID = meta.MediaStorageSOPClassUID
            ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
            ds.StudyDate = "20261014"
            ds.Modality = "MR"
            ds.Manufacturer = "SIEMENS"
            ds.InstitutionName = "Klinik Nord %d" % index
            ds.StudyDescription = "MRT LWS"
            ds.SeriesDescription = "t2_tse_sag %s" % name
            ds.ManufacturerModelName = "Avanto"
            inner = Dataset()
            inner.PatientName = "Other^Person"
            inner.ReferencedSOPInstanceUID = "1.2.3.9"
            ds.ReferencedStudySequence = Sequence([inner, Dataset()])
            ds.PatientName = patient
            ds.PatientID = "PID-%d" % index
            ds.PatientBirthDate = "19680402"
            ds.BodyPartExamined = "LSPINE"
            ds.SliceThickness = "4.5"
            ds.MagneticFieldStrength = "1.5"
            ds.ProtocolName = "L-SPINE sag"
            ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.2"
            ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.3.%d" % index
            ds.SeriesNumber = index + 1
            ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
            ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 2, 2, 16, 12, 11
            ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
            ds.PixelData = b"\0\1" * 4
            ds.is_little_endian, ds.is_implicit_VR = little, implicit
            ds.save_as("%s/%s.dcm" % (out, name), write_like_original=False)
        """#

    /// Runs a program; its standard output, or a failure saying what to install.
    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments[0]) failed (\(installHint)): \(err)")
        return out
    }

    /// The generated files, copied for `make fuzz` as seeds when OPINE_EXPORT_CORPUS is set.
    static func generatedFiles() throws -> [URL] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opine-dicom-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = try run(["/usr/bin/python3", "-c", generator, folder.path])
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
        if let export = ProcessInfo.processInfo.environment["OPINE_EXPORT_CORPUS"] {
            try? FileManager.default.createDirectory(atPath: export, withIntermediateDirectories: true)
            for file in files {
                try? FileManager.default.copyItem(atPath: file.path, toPath: export + "/oracle-\(UUID().uuidString.prefix(8))-\(file.lastPathComponent)")
            }
        }
        return files
    }

    @Test("dcm2json and pydicom are installed: the oracle cannot be skipped silently")
    func toolsPresent() throws {
        _ = try Self.run(["dcm2json", "--version"])
        _ = try Self.run(["/usr/bin/python3", "-c", "import pydicom"])
    }

    @Test("Every tag of the header matches dcm2json on each generated file")
    func agreesWithDcmtk() throws {
        let files = try Self.generatedFiles()
        try #require(files.count == 4, "pydicom wrote \(files.count) files")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            let ours = try DicomHeaderReader.read(bytes, isComplete: true).get()
            let json = try JSONSerialization.jsonObject(with: try Self.run(["dcm2json", "+m", file.path]))
            let theirs = try Self.header(fromDcm2json: try #require(json as? [String: Any]))
            #expect(ours == theirs, "\(file.lastPathComponent): ours \(ours), dcmtk \(theirs)")
            #expect(ours.patientName?.family.isEmpty == false && ours.seriesNumber != nil, "the file carried the tags")
        }
    }

    /// `DicomHeader` as dcmtk's DICOM JSON (PS3.18 F) gives it: strings, numbers, and names as `Alphabetic` text.
    static func header(fromDcm2json json: [String: Any]) throws -> DicomHeader {
        func values(_ tag: String) -> [Any]? { (json[tag] as? [String: Any])?["Value"] as? [Any] }
        func text(_ tag: String) -> String? { values(tag).map { $0.map { "\($0)" }.joined(separator: "\\") } }
        func number(_ tag: String) -> Double? { (values(tag)?.first as? NSNumber)?.doubleValue }
        var header = DicomHeader()
        header.transferSyntax = text("00020010")
        header.mediaStorageSOPClass = text("00020002")
        header.sopClassUID = text("00080016")
        if let alphabetic = (values("00100010")?.first as? [String: Any])?["Alphabetic"] as? String {
            var parts = alphabetic.split(separator: "^", omittingEmptySubsequences: false).map(String.init)
            while parts.count < 5 { parts.append("") }
            header.patientName = DicomPersonName(family: parts[0], given: parts[1], middle: parts[2], prefix: parts[3], suffix: parts[4])
        }
        header.patientBirthDate = text("00100030")
        header.patientID = text("00100020")
        header.studyInstanceUID = text("0020000D")
        header.studyDate = text("00080020")
        header.studyDescription = text("00081030")
        header.modality = text("00080060")
        header.institutionName = text("00080080")
        header.manufacturer = text("00080070")
        header.manufacturerModelName = text("00081090")
        header.magneticFieldStrength = number("00180087")
        header.seriesInstanceUID = text("0020000E")
        header.seriesNumber = (values("00200011")?.first as? NSNumber)?.intValue
        header.seriesDescription = text("0008103E")
        header.bodyPartExamined = text("00180015")
        header.protocolName = text("00181030")
        header.imageOrientationPatient = values("00200037")?.compactMap { ($0 as? NSNumber)?.doubleValue }
        header.sliceThickness = number("00180050")
        header.imageType = values("00080008")?.compactMap { $0 as? String } ?? []
        return header
    }
}
