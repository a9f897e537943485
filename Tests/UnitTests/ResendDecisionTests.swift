@testable import OpineCore
import Testing

@Suite("Re-send decisions: only an exact repeat is a duplicate; new information merges, escalates, or opens a linked case")
struct ResendDecisionTests {
    static let content = String(repeating: "a", count: 64)

    static func manifest(submission: String = "web-1", symptoms: [Symptom] = [.sciatica], question: String = "Surgery?") -> Manifest {
        Manifest(
            submissionID: submission, submittedAt: "2026-11-26T09:30:00Z",
            patient: .init(name: "P", dateOfBirth: "1970-01-01", email: "p@example.org", phone: nil),
            consentSignedAt: "2026-11-26T09:29:00Z", regions: ["lumbar"], question: question, symptoms: symptoms,
            symptomOnset: nil, priorTreatments: [], files: [])
    }

    static func information(_ state: CaseState = .received, priority: Priority = .routine) -> CaseInformation {
        CaseInformation(
            caseID: "C-20261201-0001", submissionID: "web-1", contentSHA256: content, state: state, priority: priority,
            patient: .init(name: "P", dateOfBirth: "1970-01-01", email: "p@example.org", phone: nil), regions: ["lumbar"],
            symptoms: [.sciatica], question: "Surgery?", symptomOnset: nil, priorTreatments: [])
    }

    @Test("A manifest the case already holds, with the same files: a duplicate, in any state")
    func exactRepeat() {
        for state in CaseState.allCases {
            #expect(Resend.decide(Self.manifest(), contentSHA256: Self.content, against: Self.information(state), knownManifest: true)
                == .duplicate(of: "C-20261201-0001", matchedBy: .submissionID))
        }
    }

    @Test("Another manifest with the same information (a new submitted_at, a consent signed again) is kept, announced to no one")
    func keptNotRemoved() throws {
        let decision = Resend.decide(Self.manifest(), contentSHA256: Self.content, against: Self.information(.responded), knownManifest: false)
        guard case .update(let update) = decision else { Issue.record("\(decision)"); return }
        #expect(update.changes.isEmpty && update.notifications.isEmpty && update.information == Self.information(.responded))
        #expect(update.event.type == .update && update.event.detail == ["changed": "none"])
    }

    @Test("A re-send does not undo a coordinator's lowered priority unless it reports something worse")
    func loweredPriorityKept() throws {
        var lowered = Self.information(.triaged, priority: .routine)
        lowered.symptoms = [.bowelBladderDysfunction]
        var contactOnly = Self.manifest(symptoms: [.bowelBladderDysfunction])
        contactOnly.patient?.phone = "+1 405 555 0199"
        guard case .update(let update) = Resend.decide(contactOnly, contentSHA256: Self.content, against: lowered, knownManifest: false) else {
            Issue.record("not an update"); return
        }
        #expect(update.information.priority == .routine && update.notifications == [.caseUpdated] && update.changes == [.contact])
        // Something worse than the case had: raised, even past a lowered priority.
        var routineCase = Self.information(.triaged, priority: .routine)
        routineCase.symptoms = [.progressiveWeakness]
        let worse = Self.manifest(symptoms: [.saddleNumbness])
        guard case .update(let raised) = Resend.decide(worse, contentSHA256: Self.content, against: routineCase, knownManifest: false) else {
            Issue.record("not an update"); return
        }
        #expect(raised.information.priority == .emergency && raised.notifications == [.caseEmergency, .caseUpdated])
    }

    @Test("A red flag among new symptoms escalates an open case: merged symptoms, case.emergency before case.updated")
    func escalation() throws {
        let decision = Resend.decide(
            Self.manifest(submission: "web-2", symptoms: [.bowelBladderDysfunction]), contentSHA256: Self.content,
            against: Self.information(.triaged), knownManifest: false)
        guard case .update(let update) = decision else { Issue.record("\(decision)"); return }
        #expect(update.information.symptoms == [.sciatica, .bowelBladderDysfunction])
        #expect(update.information.priority == .emergency && update.priorityBefore == .routine)
        #expect(update.changes == [.symptoms, .submissionID])
        #expect(update.notifications == [.caseEmergency, .caseUpdated])
        #expect(update.event.type == .update && update.event.detail == [
            "changed": "symptoms,submission_id", "priority_from": "routine", "priority_to": "emergency",
        ])
    }

    @Test("A re-send never lowers a priority a coordinator raised, and an already-emergency case is not re-announced")
    func neverLowered() throws {
        let decision = Resend.decide(
            Self.manifest(question: "And now?"), contentSHA256: Self.content, against: Self.information(.triaged, priority: .emergency),
            knownManifest: false)
        guard case .update(let update) = decision else { Issue.record("\(decision)"); return }
        #expect(update.information.priority == .emergency && update.notifications == [.caseUpdated])
        #expect(update.changes == [.question])
    }

    @Test("A contact left out of a re-send keeps the case's; another one replaces it")
    func contact() throws {
        var leftOut = Self.manifest(submission: "web-1")
        leftOut.patient?.email = nil
        leftOut.patient?.phone = "+1 405 555 0100"
        guard case .update(let update) = Resend.decide(leftOut, contentSHA256: Self.content, against: Self.information(), knownManifest: false) else {
            Issue.record("not an update"); return
        }
        #expect(update.information.patient.email == "p@example.org" && update.information.patient.phone == "+1 405 555 0100")
        #expect(update.changes == [.contact])
    }

    @Test("New information for a withdrawn case opens a new, linked case; for a responded one it is a follow-up question on it; other files under its id are a conflict")
    func finalAndConflict() {
        #expect(Resend.decide(Self.manifest(question: "Again?"), contentSHA256: Self.content, against: Self.information(.withdrawn), knownManifest: false)
            == .newCase(relatedTo: "C-20261201-0001"))
        let followUp = Resend.decide(Self.manifest(question: "Again?"), contentSHA256: Self.content, against: Self.information(.responded), knownManifest: false)
        guard case .update(let update) = followUp else { Issue.record("\(followUp)"); return }
        #expect(update.information.state == .responded && update.information.followUpPending && update.changes == [.question])
        #expect(update.event.type == .followUpQuestion && update.notifications == [.caseUpdated])
        let other = Resend.decide(
            Self.manifest(), contentSHA256: String(repeating: "b", count: 64), against: Self.information(), knownManifest: false)
        guard case .conflict(let rejection) = other else { Issue.record("\(other)"); return }
        #expect(rejection.code == .submissionReused)
    }
}

extension ResendDecisionTests {
    @Test("An upload whose manifest the case holds (left behind by a crash after its commit) is a duplicate")
    func alreadyMerged() {
        let manifest = Self.manifest(submission: "web-2", symptoms: [.bowelBladderDysfunction])
        #expect(Resend.decide(manifest, contentSHA256: Self.content, against: Self.information(), knownManifest: true)
            == .duplicate(of: "C-20261201-0001", matchedBy: .content))
    }
}

extension ResendDecisionTests {
    @Test("A purged case takes nothing more: new information is a new linked case, in any state; a supplement is refused")
    func purgedIsFinal() {
        for state in [CaseState.responded, .withdrawn] {
            var purged = Self.information(state)
            purged.purged = true
            #expect(Resend.decide(Self.manifest(question: "Again?"), contentSHA256: Self.content, against: purged, knownManifest: false)
                == .newCase(relatedTo: "C-20261201-0001"), "\(state)")
            let supplement = ConversationDecisionTests.decide(ConversationDecisionTests.supplement(), purged)
            #expect(supplement.rejectionCode == (state == .withdrawn ? .supplementCaseWithdrawn : .supplementCasePurged), "\(state)")
        }
    }
}
