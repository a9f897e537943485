import OpineCore
import Testing

/// The words of the patients' pages: every symptom in plain words with the emergency ones first, and a status page
/// that says what happened and, for a refusal, what to do, naming the file at fault.
@Suite("Patient page words: the symptom checklist and the status page's sentences")
struct PatientPageWordsTests {
    @Test("The checklist holds every symptom once, the emergency ones first and flagged, then urgent, then routine")
    func symptomsEmergencyFirst() {
        let choices = PageWords.symptoms
        #expect(Set(choices.map(\.code)) == Set(Symptom.allCases.map(\.rawValue)))
        #expect(choices.count == Symptom.allCases.count)
        let priorities = choices.map { Symptom(rawValue: $0.code)!.priority }
        #expect(priorities == priorities.sorted())
        #expect(choices.prefix(2).map(\.code) == ["bowel_bladder_dysfunction", "saddle_numbness"])
        #expect(choices.filter(\.emergency).map(\.code) == ["bowel_bladder_dysfunction", "saddle_numbness"])
        #expect(choices.allSatisfy { !$0.words.isEmpty && !$0.words.contains("_") })
    }

    @Test("Regions and treatments are exactly the manifest's codes, each in words")
    func regionsAndTreatments() {
        #expect(PageWords.regions.map(\.code) == Manifest.regionCodes)
        #expect(PageWords.treatments.map(\.code) == Manifest.treatmentCodes)
        #expect(Set(PageWords.regions.map(\.words)).count == 3)
        #expect(Set(PageWords.treatments.map(\.words)).count == Manifest.treatmentCodes.count)
    }

    @Test("Every status has a headline and words; only a refusal offers to send again")
    func everyStatusSaysSomething() {
        for status in PatientStatus.allCases {
            let words = PatientStatusWords(status: status, emergency: false)
            #expect(!words.headline.isEmpty)
            #expect(!words.paragraphs.isEmpty)
            #expect(words.offersSendAgain == (status == .refused))
            #expect(words.emergencyNotice == nil)
        }
    }

    @Test("An emergency says so while the request is open: seen first, go to an emergency department")
    func emergencySeenFirst() {
        let received = PatientStatusWords(status: .received, emergency: true)
        #expect(received.headline.contains("emergency"))
        #expect(received.headline.contains("seen first"))
        #expect(received.emergencyNotice?.contains("emergency department") == true)
        #expect(PatientStatusWords(status: .sent, emergency: true).emergencyNotice != nil)
        #expect(PatientStatusWords(status: .answered, emergency: true).emergencyNotice == nil)
    }

    @Test("An answer says the letter comes through the practice's own channel")
    func answeredNamesTheChannel() {
        let words = PatientStatusWords(status: .answered, emergency: false)
        #expect(words.paragraphs.joined().contains("practice's own channel"))
        #expect(words.tone == .done)
    }

    @Test("A damaged file is named, with what to do: upload it again")
    func refusalNamesTheFile() {
        for code in ["checksum_mismatch", "size_mismatch", "missing_file", "incomplete"] {
            let words = PatientStatusWords(status: .refused, emergency: false, refusalCode: code, refusalEntry: "report.pdf")
            #expect(words.paragraphs[0] == "The file \u{2018}report.pdf\u{2019} arrived damaged or incomplete: please upload it again.")
            #expect(words.tone == .problem)
            #expect(words.offersSendAgain)
        }
    }

    @Test("Every rejection code, known or not, gives a refusal a patient can act on")
    func everyRefusalHasWords() {
        for code in Rejection.Code.allCases.map(\.rawValue) + ["a_code_from_a_newer_opined", ""] {
            let words = PatientStatusWords(status: .refused, emergency: false, refusalCode: code, refusalEntry: nil)
            #expect(words.paragraphs.count == 2)
            #expect(!words.paragraphs[0].contains("\u{2018}"))
            #expect(words.paragraphs[1].contains("Send it again"))
        }
        let encrypted = PatientStatusWords(status: .refused, emergency: false, refusalCode: "file_encrypted", refusalEntry: "MRI/report.pdf")
        #expect(encrypted.paragraphs[0].contains("\u{2018}MRI/report.pdf\u{2019} is protected by a password"))
    }
}
