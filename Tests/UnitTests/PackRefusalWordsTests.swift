import OpineCore
import Testing

/// What the upload page says when the service cannot make a bundle of a patient's files: a sentence the patient can
/// act on, never the command line's words (`--report`, `intake.max_files`, opined's codes), beside the right field.
@Suite("Pack refusals in a patient's words")
struct PackRefusalWordsTests {
    static let all: [PackRefusal] = [
        .nothingToReview, .imagingUnreadable, .tooManyFiles(limit: 5000), .fileTooLarge(path: "DICOM/IM000001", limit: 2 << 30),
        .tooLarge(limit: 4 << 30), .reportUnreadable, .nameRefused(path: "DICOM/a:b"), .fileUnstable(path: "DICOM/IM000002"),
        .answersRefused(.manifestInvalidField),
    ]

    @Test("No refusal speaks of flags, settings, opined, packing or rejection codes")
    func noCommandLineWords() {
        let forbidden = ["--", "opined", "opine pack", "pack again", "intake.", "max_", "imaging_unreadable", "manifest", "bundle"]
        for refusal in Self.all {
            let sentence = refusal.patientSentence
            #expect(!forbidden.contains { sentence.contains($0) }, "\(refusal): \(sentence)")
            #expect(sentence.hasSuffix("."), "\(refusal) ends as a sentence")
        }
    }

    @Test("An unreadable study says what is wrong and what to do: a new copy from the imaging centre")
    func unreadableImaging() {
        let sentence = PackRefusal.imagingUnreadable.patientSentence
        #expect(sentence.contains("None of the MRI images could be read") && sentence.contains("imaging centre"))
        #expect(PackRefusal.imagingUnreadable.field == "files")
    }

    @Test("A file at fault is named by the patient's own path, limits in a patient's units, the report beside the report")
    func namesAndFields() {
        #expect(PackRefusal.fileTooLarge(path: "DICOM/IM000001", limit: 2 << 30).patientSentence.contains("\u{2018}DICOM/IM000001\u{2019} is larger than the practice takes (2 GiB)"))
        #expect(PackRefusal.tooManyFiles(limit: 5000).patientSentence.contains("at most 5000"))
        #expect(PackRefusal.reportUnreadable.field == "report")
        #expect(PackRefusal.answersRefused(.consentMissing).field == nil)
        #expect(Self.all.filter { $0.field == "files" }.count == 7)
    }
}
