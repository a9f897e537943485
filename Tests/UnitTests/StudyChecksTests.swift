import Foundation
@testable import OpineCore
@testable import OpineIntake
import Testing

/// The study summary and the checks made from it, on headers built in the test: no files, no reader.
@Suite("Study summary, wrong-patient and spine-protocol checks: every rule as a pure decision")
struct StudyChecksTests {
    static let sagittal = [0.0, 1, 0, 0, 0, -1], axial = [1.0, 0, 0, 0, 1, 0], coronal = [1.0, 0, 0, 0, 0, -1]

    static func header(
        _ series: String, number: Int, description: String, orientation: [Double], name: DicomPersonName? = .init(family: "DOE", given: "JANE"),
        born: String? = "19680402", study: String = "1.2.3", bodyPart: String? = "LSPINE", localizer: Bool = false
    ) -> DicomHeader {
        var header = DicomHeader()
        header.studyInstanceUID = study
        header.studyDescription = "MR LUMBAR SPINE"
        header.studyDate = "20261014"
        header.modality = "MR"
        header.seriesInstanceUID = series
        header.seriesNumber = number
        header.seriesDescription = description
        header.imageOrientationPatient = orientation
        header.bodyPartExamined = bodyPart
        header.patientName = name
        header.patientBirthDate = born
        header.imageType = localizer ? ["ORIGINAL", "PRIMARY", "LOCALIZER"] : ["ORIGINAL", "PRIMARY", "M"]
        return header
    }

    static var lumbar: [DicomHeader] {
        (0..<3).map { _ in header("s1", number: 1, description: "t1_tse_sag", orientation: sagittal) }
            + (0..<2).map { _ in header("s2", number: 2, description: "T2 SAG", orientation: sagittal) }
            + (0..<4).map { _ in header("s3", number: 3, description: "t2_tse_tra", orientation: axial) }
            + [header("s0", number: 0, description: "localizer", orientation: coronal, localizer: true)]
    }

    @Test("Headers become studies and series with counts, planes and localizers; a DICOMDIR is not an image")
    func summary() {
        var index = DicomHeader()
        index.mediaStorageSOPClass = "1.2.840.10008.1.3.10"
        let summary = StudySummary(headers: Self.lumbar + [index], unreadable: 2)
        #expect(summary.studies.count == 1 && summary.dicomdirs == 1 && summary.unreadableFiles == 2)
        let series = summary.studies[0].series
        #expect(series.map(\.images) == [1, 3, 2, 4] && series.map(\.number) == [0, 1, 2, 3])
        #expect(series.map(\.plane) == [.coronal, .sagittal, .sagittal, .axial] && series.map(\.isLocalizer) == [true, false, false, false])
        #expect(summary.patients == [.init(name: "DOE^JANE", birthDate: "19680402")])
        #expect(StudySummary.Plane(orientation: [0.7, 0.7, 0, 0, 0, -1]) == .oblique)
        #expect(StudySummary.Plane(orientation: [1, 0]) == nil)
    }

    @Test("A lumbar request with sagittal and axial lumbar series is adequately covered; cervical images are not")
    func regions() {
        let checks = StudyChecks(StudySummary(headers: Self.lumbar, unreadable: 0), name: "Jane Q. Doe", dateOfBirth: "1968-04-02", regions: ["lumbar", "cervical"])
        #expect(checks.regions.map(\.text) == ["lumbar: sagittal T1, sagittal T2, axial T2 — adequate", "cervical: no series found"])
        #expect(checks.flags == [.regionNotCovered] && checks.patient == .match)
        let neck = Self.lumbar.map { header -> DicomHeader in
            var header = header
            header.bodyPartExamined = "CSPINE"
            header.studyDescription = "MR C-SPINE"
            return header
        }
        #expect(JaneChecks.of(neck, regions: ["lumbar"]).flags == [.regionNotCovered])
        #expect(JaneChecks.of(neck, regions: ["cervical"]).regions.first?.adequate == true)
        #expect(RegionWords.words("t2_tse_sag L-Spine") == ["T2", "TSE", "SAG", "LSPINE"])
        let sagittalOnly = Self.lumbar.filter { $0.seriesInstanceUID != "s3" }
        #expect(JaneChecks.of(sagittalOnly, regions: ["lumbar"]).regions.first?.text == "lumbar: sagittal T1, sagittal T2 — no sagittal and axial pair")
    }

    @Test("Names compare ignoring case, accents, order and the ^ separators; a missing tag is unknown, not a mismatch")
    func names() {
        let agree = { (name: String?, born: String?, manifest: String, dob: String) in
            PatientNames.agree(.init(name: name, birthDate: born), name: manifest, dateOfBirth: dob)
        }
        #expect(agree("DOE^JANE", "19680402", "Jane Q. Doe", "1968-04-02"))
        #expect(agree("Doe^Jane^Quinn", nil, "Jane Doe", "1968-04-02"), "a middle name the manifest leaves out")
        #expect(agree("ÅNGSTRÖM^ZOË", "19710314", "zoe angstrom", "1971-03-14"))
        #expect(agree("MÜLLER-LÜDENSCHEIDT^Hans", nil, "Hans Muller Ludenscheidt", "1950-01-01"))
        #expect(!agree("DOE^JOHN", "19710602", "Jane Q. Doe", "1968-04-02"))
        #expect(!agree("DOE^JANE", "19710602", "Jane Q. Doe", "1968-04-02"), "the same name, another birth date")
        #expect(agree(nil, nil, "Jane Q. Doe", "1968-04-02"))
        #expect(agree("^", "", "Jane Q. Doe", "1968-04-02"), "empty values are unknown")
    }

    @Test("Another patient, or two patients in one upload, flag the case; only codes leave the check")
    func patientFlags() {
        let john = Self.lumbar.map { header -> DicomHeader in
            var header = header
            header.patientName = .init(family: "DOE", given: "JOHN")
            header.patientBirthDate = "19710602"
            return header
        }
        let wrong = JaneChecks.of(john, regions: ["lumbar"])
        #expect(wrong.patient == .mismatch && wrong.flags == [.patientMismatch])
        let both = JaneChecks.of(Self.lumbar + [john[0]], regions: ["lumbar"])
        #expect(both.flags == [.patientMismatch, .severalPatients])
        #expect(both.detail == ["patient_check": "mismatch", "region_check": "lumbar=adequate", "flags": "patient_mismatch,several_patients"])
        let anonymous = Self.lumbar.map { header -> DicomHeader in
            var header = header
            header.patientName = nil
            header.patientBirthDate = nil
            return header
        }
        #expect(JaneChecks.of(anonymous, regions: ["lumbar"]).patient == .unknown)
        #expect(JaneChecks.of([], regions: ["lumbar"]).flags.isEmpty, "no readable images: nothing to flag")
    }

    @Test("A supplement's images merge into their study and series")
    func merge() {
        var summary = StudySummary(headers: Self.lumbar, unreadable: 0)
        summary.merge(StudySummary(headers: [Self.header("s3", number: 3, description: "t2_tse_tra", orientation: Self.axial),
                                             Self.header("s9", number: 9, description: "t2 sag", orientation: Self.sagittal, study: "9.9")], unreadable: 1))
        #expect(summary.studies.count == 2 && summary.studies[0].series.last?.images == 5 && summary.unreadableFiles == 1)
    }
}

/// The checks for a manifest of Jane Q. Doe, born 1968-04-02, asking about `regions`.
enum JaneChecks {
    static func of(_ headers: [DicomHeader], regions: [String]) -> StudyChecks {
        StudyChecks(StudySummary(headers: headers, unreadable: 0), name: "Jane Q. Doe", dateOfBirth: "1968-04-02", regions: regions)
    }
}

/// Where intake stops keeping a DICOM file's first bytes.
@Suite("The Pixel Data tag that ends the header intake keeps")
struct PixelDataTagTests {
    @Test("Found little or big endian, the first one, and nowhere else")
    func found() {
        let find = { (bytes: [UInt8]) in bytes.withUnsafeBytes { OpineIntake.StagedFile.afterPixelDataTag($0) } }
        #expect(find([1, 2, 0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42]) == 6)
        #expect(find([0x7F, 0xE0, 0x00, 0x10]) == 4)
        #expect(find([0xE0, 0x7F, 0x10]) == nil && find([0xE0, 0x7F, 0x10, 0x01]) == nil && find([]) == nil)
        #expect(find([0, 0x7F, 0xE0, 0x00, 0x10, 0xE0, 0x7F, 0x10, 0x00]) == 5)
    }
}
