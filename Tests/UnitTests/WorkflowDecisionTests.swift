import Foundation
import OpineCore
import Testing

/// `Workflow.decide` without a database: every state × action pair, and the full content of each transition (the
/// case's new values, the audit event, the notifications) that the store then only copies.
@Suite("Workflow.decide: every state × action pair and what each transition records")
struct WorkflowDecisionTests {
    static let reviewer = Actor(name: "dr-patel", isAdmin: false, reviewers: ["dr-patel", "dr-okafor"])
    static let admin = Actor(name: "coordinator", isAdmin: true, reviewers: ["dr-patel", "dr-okafor"])

    static let actions: [WorkflowAction] = [
        .triage(priority: nil, assignee: "dr-okafor"),
        .review(findings: "ok"),
        .respond,
        .withdraw(reason: "patient asked"),
        .requestInformation(message: "Please upload the radiology report."),
        .amend(reason: "a level was missed", findings: "Also L5-S1."),
    ]

    /// The only moves the brief allows; every other state × action pair must be refused.
    static func expected(_ state: CaseState, _ action: WorkflowAction) -> CaseState? {
        switch (state, action) {
        case (.received, .triage), (.triaged, .triage): .triaged
        case (.triaged, .review): .reviewed
        case (.reviewed, .respond): .responded
        case (.received, .withdraw), (.triaged, .withdraw), (.awaitingInformation, .withdraw), (.reviewed, .withdraw): .withdrawn
        case (.received, .requestInformation), (.triaged, .requestInformation), (.awaitingInformation, .requestInformation):
            .awaitingInformation
        case (.reviewed, .amend): .reviewed
        case (.responded, .amend): .responded
        default: nil
        }
    }

    static func decide(
        _ state: CaseState, _ action: WorkflowAction, priority: Priority = .urgent, assignee: String? = "dr-patel",
        note: String? = nil, letter: CaseCommand.Letter? = nil, enteredBy: String? = nil, by actor: Actor = reviewer
    ) -> Result<Transition, WorkflowError> {
        Workflow.decide(
            CaseSnapshot(state: state, priority: priority, assignee: assignee),
            CaseCommand(action: action, note: note, letter: letter, enteredBy: enteredBy), by: actor)
    }

    @Test("Every state × action pair", arguments: CaseState.allCases, actions)
    func everyPair(state: CaseState, action: WorkflowAction) {
        let result = Self.decide(state, action, priority: .routine)
        switch (result, Self.expected(state, action)) {
        case (.success(let transition), let target?):
            #expect(transition.to == target)
            #expect(transition.from == state)
            #expect(transition.event.fromState == state && transition.event.toState == target)
        case (.failure(let error), nil):
            #expect(error == .invalidTransition(from: state, action: action.name))
        default:
            Issue.record("\(state) × \(action.name): got \(result), expected \(String(describing: Self.expected(state, action)))")
        }
    }

    @Test("A first triage assigns, records who and announces case.triaged")
    func firstTriage() throws {
        let transition = try Self.decide(.received, .triage(priority: nil, assignee: "dr-okafor"), assignee: nil, note: "MRI attached").get()
        #expect(transition == Transition(
            from: .received, to: .triaged, priority: .urgent, assignee: "dr-okafor",
            event: AuditEvent(type: .triage, fromState: .received, toState: .triaged, detail: ["assigned_to": "dr-okafor", "note": "MRI attached"]),
            notifications: [.caseTriaged]))
    }

    @Test("A second triage is a retriage; a priority change records both priorities and the note")
    func retriageWithPriorityChange() throws {
        let transition = try Self.decide(
            .triaged, .triage(priority: .emergency, assignee: nil), priority: .urgent, note: "new weakness", enteredBy: "coordinator"
        ).get()
        #expect(transition == Transition(
            from: .triaged, to: .triaged, priority: .emergency, assignee: "dr-patel",
            event: AuditEvent(type: .retriage, fromState: .triaged, toState: .triaged, detail: [
                "note": "new weakness", "priority_from": "urgent", "priority_to": "emergency", "entered_by": "coordinator",
            ]),
            notifications: [.caseEmergency, .caseTriaged]))
    }

    @Test("Escalating to emergency announces case.emergency once, ahead of case.triaged; nothing else does")
    func escalationAnnounced() throws {
        let first = try Self.decide(.received, .triage(priority: .emergency, assignee: nil), priority: .routine, note: "saddle numbness").get()
        #expect(first.notifications == [.caseEmergency, .caseTriaged] && first.priority == .emergency)
        // Already an emergency (announced at intake): triaging it is not a new escalation.
        let kept = try Self.decide(.received, .triage(priority: .emergency, assignee: "dr-okafor"), priority: .emergency).get()
        #expect(kept.notifications == [.caseTriaged])
        let lowered = try Self.decide(.triaged, .triage(priority: .urgent, assignee: nil), priority: .emergency, note: "seen, stable").get()
        #expect(lowered.notifications == [.caseTriaged] && lowered.event.type == .retriage)
        let reassigned = try Self.decide(.triaged, .triage(priority: nil, assignee: "dr-okafor"), priority: .emergency).get()
        #expect(reassigned.notifications == [.caseTriaged] && reassigned.event.type == .retriage)
    }

    @Test("A note alone on a triaged case is a note event, announced to no one")
    func noteOnly() throws {
        let note = try Self.decide(.triaged, .triage(priority: nil, assignee: nil), note: "patient called").get()
        #expect(note == Transition(
            from: .triaged, to: .triaged, priority: .urgent, assignee: "dr-patel",
            event: AuditEvent(type: .note, fromState: .triaged, toState: .triaged, detail: ["note": "patient called"]),
            notifications: []))
        // Naming the priority and reviewer the case already has changes nothing either.
        let same = try Self.decide(.triaged, .triage(priority: .urgent, assignee: "dr-patel"), note: "confirmed").get()
        #expect(same.event.type == .note && same.notifications.isEmpty)
        #expect(Self.decide(.triaged, .triage(priority: .urgent, assignee: "dr-patel")) == .failure(.nothingToChange))
        // A first triage with only a note still moves the case, so it is announced.
        let triage = try Self.decide(.received, .triage(priority: nil, assignee: nil), note: "looked").get()
        #expect(triage.event.type == .triage && triage.notifications == [.caseTriaged])
    }

    @Test("A review sets the findings; an admin's review for someone else is flagged as an override")
    func reviewContent() throws {
        let own = try Self.decide(.triaged, .review(findings: "L4-L5 compression")).get()
        #expect(own.findings == "L4-L5 compression" && own.withdrawnReason == nil)
        #expect(own.event == AuditEvent(type: .review, fromState: .triaged, toState: .reviewed))
        #expect(own.notifications == [.caseReviewed])
        let override = try Self.decide(.triaged, .review(findings: "x"), assignee: "dr-okafor", by: Self.admin).get()
        #expect(override.event.detail == ["admin_override_for": "dr-okafor"])
        let unassigned = try Self.decide(.triaged, .review(findings: "x"), assignee: nil, by: Self.admin).get()
        #expect(unassigned.event.detail == ["admin_override_for": "(unassigned)"])
    }

    @Test("A response records the letter's SHA-256; a withdrawal its reason, in the case and the audit trail")
    func respondAndWithdraw() throws {
        let letter = CaseCommand.Letter(fileName: "letter.pdf", mediaType: "application/pdf", content: Data("abc".utf8))
        let responded = try Self.decide(.reviewed, .respond, letter: letter).get()
        #expect(responded.event.detail == ["letter_sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"])
        #expect(responded.notifications == [.caseResponded] && responded.to == .responded)
        let withdrawn = try Self.decide(.received, .withdraw(reason: "patient asked"), assignee: nil).get()
        #expect(withdrawn.withdrawnReason == "patient asked" && withdrawn.findings == nil)
        #expect(withdrawn.event == AuditEvent(type: .withdraw, fromState: .received, toState: .withdrawn, detail: ["reason": "patient asked"]))
        #expect(withdrawn.notifications == [.caseWithdrawn])
    }

    @Test("Triage checks reviewers and asks for a note when it overrides the symptoms' priority")
    func triageRules() {
        #expect(Self.decide(.received, .triage(priority: nil, assignee: "dr-who"), priority: .emergency)
            == .failure(.unknownReviewer("dr-who", known: ["dr-okafor", "dr-patel"])))
        #expect(Self.decide(.received, .triage(priority: .routine, assignee: nil), priority: .emergency)
            == .failure(.noteRequiredForPriorityChange(from: .emergency, to: .routine)))
        #expect(Self.decide(.triaged, .triage(priority: nil, assignee: nil)) == .failure(.nothingToChange))
    }

    @Test("Only the assigned reviewer records the review; blank findings and reasons are refused")
    func reviewRules() {
        #expect(Self.decide(.triaged, .review(findings: "x"), assignee: "dr-okafor")
            == .failure(.notAssignedReviewer(assignee: "dr-okafor", actor: "dr-patel")))
        #expect(Self.decide(.triaged, .review(findings: "  ")) == .failure(.missingText("findings")))
        #expect(Self.decide(.triaged, .withdraw(reason: "")) == .failure(.missingText("reason")))
    }

    @Test("The most severe symptom sets the priority; only the cauda equina signs are emergencies")
    func priorityFromSymptoms() {
        #expect(Priority(symptoms: [Symptom.sciatica, .bowelBladderDysfunction]) == .emergency)
        #expect(Priority(symptoms: [Symptom.backPain, .feverChills]) == .urgent)
        #expect(Priority(symptoms: [Symptom.neckPain]) == .routine)
        #expect(Priority(symptoms: [Symptom]()) == .routine)
        #expect(Set(Symptom.allCases.filter { $0.priority == .emergency }) == [.bowelBladderDysfunction, .saddleNumbness])
    }

    @Test("Intake announces an emergency before the routine notice, and records what it changed")
    func admission() {
        let emergency = Admission.stored(priority: .emergency, fileCount: 3, preamblesZeroed: 1)
        #expect(emergency.notifications == [.caseEmergency, .caseReceived])
        #expect(emergency.event == AuditEvent(type: .intake, toState: .received, detail: [
            "priority": "emergency", "files": "3", "dicom_preambles_zeroed": "1",
        ]))
        let routine = Admission.stored(priority: .routine, fileCount: 1, preamblesZeroed: 0)
        #expect(routine.notifications == [.caseReceived] && routine.event.detail == ["priority": "routine", "files": "1"])
    }
}
