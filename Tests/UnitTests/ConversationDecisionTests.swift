import Foundation
@testable import OpineCore
import Testing

/// The conversation's pure decisions: supplements (`Supplement.decide`, `Supplement.place`), waiting for the patient
/// and addenda (`Workflow.decide`).
@Suite("Conversation decisions: supplements, waiting for the patient, addenda")
struct ConversationDecisionTests {
    static let content = String(repeating: "c", count: 64)
    static let caseID = "C-20261201-0001"

    static func supplement(
        symptoms: [Symptom] = [], question: String? = nil, patient: Manifest.Patient? = nil, files: [String] = ["report.pdf"]
    ) -> Manifest {
        Manifest(
            submissionID: "web-2", submittedAt: "2026-12-01T09:30:00Z", patient: patient, consentSignedAt: nil, regions: [],
            question: question, supplements: "web-1", symptoms: symptoms, symptomOnset: nil, priorTreatments: [],
            files: files.map { .init(path: $0, kind: "radiology_report", mediaType: .pdf, size: 10, sha256: content) })
    }

    static func information(_ state: CaseState = .triaged, returnTo: CaseState? = nil, priority: Priority = .routine) -> CaseInformation {
        CaseInformation(
            caseID: caseID, submissionID: "web-1", contentSHA256: String(repeating: "a", count: 64), state: state, priority: priority,
            patient: .init(name: "P", dateOfBirth: "1970-01-01", email: "P@Example.org", phone: "+1 (405) 555-0100"),
            regions: ["lumbar"], symptoms: [.sciatica], question: "Surgery?", symptomOnset: nil, priorTreatments: [],
            awaitingReturnState: returnTo)
    }

    static func decide(_ manifest: Manifest, _ current: CaseInformation?, taken: [String] = ["report.pdf"], prior: PriorSupplement? = nil) -> SupplementDecision {
        Supplement.decide(manifest, contentSHA256: content, against: current, takenPaths: taken, prior: prior)
    }

    @Test("A supplement's files are added beside the case's, a taken name suffixed; case.updated names files")
    func filesAdded() throws {
        guard case .add(let plan) = Self.decide(Self.supplement(), Self.information()) else { Issue.record("not added"); return }
        #expect(plan.placements == [FilePlacement(bundlePath: "report.pdf", storedPath: "report-2.pdf")])
        #expect(plan.update.changes == [.files] && plan.update.notifications == [.caseUpdated])
        #expect(plan.update.event == AuditEvent(
            type: .filesAdded, fromState: .triaged, toState: .triaged, detail: ["changed": "files", "files": "1"]))
    }

    @Test("Placement overwrites nothing: names differing only in case, folders that are files, and the manifest's name")
    func placement() {
        let placed = Supplement.place(
            ["REPORT.pdf", "report.pdf", "series/1.dcm", "notes", "notes/a.txt", "manifest.json", "DICOMDIR", ".x"],
            beside: ["report.pdf", "series/1.dcm", "DICOMDIR", "notes"])
        #expect(placed.map(\.storedPath) == [
            "REPORT-2.pdf", "report-3.pdf", "series/1-2.dcm", "notes-2", "notes-3/a.txt", "manifest-2.json", "DICOMDIR-2", ".x",
        ])
        // A suffix never makes a name or path longer than a bundle's paths may be.
        let long = String(repeating: "é", count: 125) + ".pdf"  // 254 bytes
        let suffixed = Supplement.place([long], beside: [long]).map(\.storedPath)
        #expect(suffixed.first.map { $0.utf8.count <= PathRules.maxBytes && $0.hasSuffix("-2.pdf") } == true)
        #expect(suffixed.first.flatMap(PathRules.problem(with:)) == nil)
        // A folder the case has is shared, not a clash: a later series lands beside the first.
        #expect(Supplement.place(["series/2.dcm"], beside: ["series/1.dcm"]).map(\.storedPath) == ["series/2.dcm"])
    }

    @Test("Unknown, withdrawn and other patients' supplements are refused with their own codes")
    func refused() {
        #expect(Self.decide(Self.supplement(), nil).rejectionCode == .supplementUnknownCase)
        #expect(Self.decide(Self.supplement(), Self.information(.withdrawn)).rejectionCode == .supplementCaseWithdrawn)
        let stranger = Manifest.Patient(name: "P", dateOfBirth: "1970-01-01", email: "other@example.org", phone: nil)
        #expect(Self.decide(Self.supplement(patient: stranger), Self.information()).rejectionCode == .supplementContactMismatch)
        // The same contact written differently is the same patient.
        let same = Manifest.Patient(name: "P", dateOfBirth: "1970-01-01", email: "p@example.ORG", phone: "14055550100")
        #expect(Self.decide(Self.supplement(patient: same), Self.information()).rejectionCode == nil)
        let phoneOnly = Manifest.Patient(name: "P", dateOfBirth: "1970-01-01", email: nil, phone: "1 405 555 0199")
        #expect(Self.decide(Self.supplement(patient: phoneOnly), Self.information()).rejectionCode == .supplementContactMismatch)
    }

    @Test("The same supplement again is a duplicate; its id with other files is another supplement; a new manifest only merges")
    func repeated() throws {
        #expect(Self.decide(Self.supplement(), Self.information(), prior: .init(contentSHA256: Self.content, sameManifest: true))
            == .duplicate(of: Self.caseID))
        // Another supplement under the same id brings other files: added, never refused.
        guard case .add(let other) = Self.decide(Self.supplement(), Self.information(), prior: .init(contentSHA256: "other", sameManifest: true))
        else { Issue.record("another supplement was not added"); return }
        #expect(other.placements.count == 1)
        let again = Self.decide(Self.supplement(question: "And the left leg?"), Self.information(), prior: .init(contentSHA256: Self.content, sameManifest: false))
        guard case .add(let plan) = again else { Issue.record("\(again)"); return }
        #expect(plan.placements.isEmpty && plan.update.changes == [.question] && plan.update.event.type == .update)
    }

    @Test("A supplement returns a waiting case to the state it was asked from; nothing new leaves it waiting")
    func endsTheWait() throws {
        guard case .add(let plan) = Self.decide(Self.supplement(), Self.information(.awaitingInformation, returnTo: .received))
        else { Issue.record("not added"); return }
        #expect(plan.update.information.state == .received && plan.update.information.awaitingReturnState == nil)
        #expect(plan.update.event.fromState == .awaitingInformation && plan.update.event.toState == .received)
        let nothing = Self.decide(Self.supplement(files: []), Self.information(.awaitingInformation, returnTo: .triaged))
        guard case .add(let kept) = nothing else { Issue.record("\(nothing)"); return }
        #expect(kept.update.information.state == .awaitingInformation && kept.update.notifications.isEmpty)
    }

    @Test("On a responded case a supplement is a follow-up question awaiting an addendum; red flags escalate")
    func followUp() throws {
        let decision = Self.decide(Self.supplement(symptoms: [.saddleNumbness], question: "Numb since Monday"), Self.information(.responded))
        guard case .add(let plan) = decision else { Issue.record("\(decision)"); return }
        #expect(plan.update.information.state == .responded && plan.update.information.followUpPending)
        #expect(plan.update.event.type == .followUpQuestion)
        #expect(plan.update.information.priority == .emergency && plan.update.notifications == [.caseEmergency, .caseUpdated])
        #expect(Set(plan.update.changes) == [.files, .question, .symptoms] && plan.update.information.redFlagPending)
        // A case that was an emergency before is announced again: its response did not see this red flag.
        let before = Self.decide(Self.supplement(symptoms: [.bowelBladderDysfunction]), Self.information(.responded, priority: .emergency))
        guard case .add(let again) = before else { Issue.record("\(before)"); return }
        #expect(again.update.notifications == [.caseEmergency, .caseUpdated])
        // A question alone on an emergency case is a follow-up, not a new alarm.
        let calm = Self.decide(Self.supplement(question: "Can I drive?", files: []), Self.information(.responded, priority: .emergency))
        guard case .add(let quiet) = calm else { Issue.record("\(calm)"); return }
        #expect(quiet.update.notifications == [.caseUpdated] && !quiet.update.information.redFlagPending)
        // New red flags on a triaged case are kept until someone acts; on an untriaged one the due time re-announces.
        guard case .add(let triaged) = Self.decide(Self.supplement(symptoms: [.saddleNumbness]), Self.information(.triaged)),
              case .add(let received) = Self.decide(Self.supplement(symptoms: [.saddleNumbness]), Self.information(.received))
        else { Issue.record("not added"); return }
        #expect(triaged.update.information.redFlagPending && !received.update.information.redFlagPending)
        #expect(triaged.update.notifications == [.caseEmergency, .caseUpdated])
    }

    @Test("A red flag the patient reported is announced again each interval until someone acts; none without one")
    func redFlagReannounced() {
        let policy = TurnaroundPolicy(), announced = Date(timeIntervalSince1970: 2_000_000)
        let clock = CaseClock(
            state: .responded, priority: .emergency, receivedAt: announced, emergencyAnnouncedAt: announced, redFlagSince: announced)
        #expect(policy.sweep(clock, now: announced.addingTimeInterval(policy.emergencyReannounceInterval - 1)).isEmpty)
        let notices = policy.sweep(clock, now: announced.addingTimeInterval(policy.emergencyReannounceInterval))
        #expect(notices.map(\.notification) == [.caseEmergency])
        #expect(notices.first?.event.detail == ["red_flag_since": Timestamps.format(announced)])
        var acted = clock
        acted.redFlagSince = nil
        #expect(policy.sweep(acted, now: announced.addingTimeInterval(86400)).isEmpty)
        var triaged = clock
        triaged.state = .triaged
        #expect(policy.sweep(triaged, now: announced.addingTimeInterval(policy.emergencyReannounceInterval)).map(\.notification) == [.caseEmergency])
    }

    @Test("An untriaged emergency cannot be put on hold for information")
    func emergencyFirst() {
        #expect(Self.decide(CaseSnapshot(state: .received, priority: .emergency), .requestInformation(message: "x"))
            == .failure(.emergencyNeedsTriage))
        #expect((try? Self.decide(CaseSnapshot(state: .triaged, priority: .emergency), .requestInformation(message: "x")).get()) != nil)
    }
}

extension ConversationDecisionTests {
    static let reviewer = Actor(name: "dr-patel", isAdmin: false, reviewers: ["dr-patel", "dr-okafor"])
    static let admin = Actor(name: "coordinator", isAdmin: true, reviewers: ["dr-patel", "dr-okafor"])
    static let letter = CaseCommand.Letter(fileName: "fix.txt", mediaType: "text/plain", content: Data("Corrected".utf8))

    static func decide(
        _ snapshot: CaseSnapshot, _ action: WorkflowAction, letter: CaseCommand.Letter? = nil, by actor: Actor = reviewer
    ) -> Result<Transition, WorkflowError> {
        Workflow.decide(snapshot, CaseCommand(action: action, letter: letter), by: actor)
    }

    @Test("request-info keeps the message and where the case returns to, across a second request; blank is refused")
    func requestInformation() throws {
        let first = try Self.decide(CaseSnapshot(state: .triaged, priority: .urgent, assignee: "dr-patel"), .requestInformation(message: "Send the report")).get()
        #expect(first.to == .awaitingInformation && first.awaitingReturnState == .triaged && first.informationMessage == "Send the report")
        #expect(first.notifications == [.caseInformationRequested])
        #expect(first.event == AuditEvent(type: .requestInfo, fromState: .triaged, toState: .awaitingInformation, detail: ["message": "Send the report"]))
        let again = try Self.decide(
            CaseSnapshot(state: .awaitingInformation, priority: .urgent, awaitingReturnState: .triaged), .requestInformation(message: "And the CD")).get()
        #expect(again.awaitingReturnState == .triaged)
        #expect(Self.decide(CaseSnapshot(state: .received, priority: .urgent), .requestInformation(message: " ")) == .failure(.missingText("message")))
        let withdrawn = try Self.decide(
            CaseSnapshot(state: .awaitingInformation, priority: .urgent, awaitingReturnState: .received), .withdraw(reason: "no reply")).get()
        #expect(withdrawn.to == .withdrawn && withdrawn.awaitingReturnState == nil)
    }

    @Test("An addendum amends one thing with a reason; letters only after the response; findings are the reviewer's")
    func amend() throws {
        let reviewed = CaseSnapshot(state: .reviewed, priority: .routine, assignee: "dr-patel")
        let findings = try Self.decide(reviewed, .amend(reason: "missed a level", findings: "Also L5-S1")).get()
        #expect(findings.to == .reviewed && findings.addendum == Addendum(kind: .findings, reason: "missed a level", findings: "Also L5-S1"))
        #expect(findings.findings == nil, "the original findings stay")
        #expect(findings.notifications == [.caseAmended] && findings.event.detail == ["reason": "missed a level", "amended": "findings"])
        #expect(Self.decide(reviewed, .amend(reason: "x", findings: nil), letter: Self.letter) == .failure(.noLetterToAmend))
        #expect(Self.decide(reviewed, .amend(reason: "x", findings: "y"), letter: Self.letter) == .failure(.amendNeedsOneThing))
        #expect(Self.decide(reviewed, .amend(reason: " ", findings: "y")) == .failure(.missingText("reason")))
        let other = CaseSnapshot(state: .responded, priority: .routine, assignee: "dr-okafor", followUpPending: true)
        #expect(Self.decide(other, .amend(reason: "x", findings: "y")) == .failure(.notAssignedReviewer(assignee: "dr-okafor", actor: "dr-patel")))
        let letter = try Self.decide(other, .amend(reason: "wrong date", findings: nil), letter: Self.letter).get()
        #expect(letter.addendum?.kind == .letter && letter.event.detail["letter_sha256"] != nil && !letter.followUpPending)
        let admin = try Self.decide(other, .amend(reason: "for dr-okafor", findings: "z"), by: Self.admin).get()
        #expect(admin.event.detail["admin_override_for"] == "dr-okafor")
    }

    @Test("A waiting case has no due time and gets one reminder per wait (the e2e test checks the clock resumes later by the wait)")
    func clockPaused() {
        var policy = TurnaroundPolicy()
        policy.informationReminderAfter = 3600
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(policy.dueAt(priority: .routine, state: .awaitingInformation, receivedAt: start) == nil)
        let waiting = CaseClock(state: .awaitingInformation, priority: .emergency, receivedAt: start, awaitingSince: start)
        #expect(policy.sweep(waiting, now: start.addingTimeInterval(3599)).isEmpty)
        #expect(policy.sweep(waiting, now: start.addingTimeInterval(3600)).map(\.action) == [.informationReminder])
        var reminded = waiting
        reminded.informationRemindedAt = start.addingTimeInterval(3600)
        #expect(policy.sweep(reminded, now: start.addingTimeInterval(86400 * 30)).isEmpty)
    }
}

extension SupplementDecision {
    /// The rejection's code, or nil when the supplement is not refused.
    var rejectionCode: Rejection.Code? {
        if case .refuse(let rejection) = self { rejection.code } else { nil }
    }
}
