import OpineKit
import Testing

@Suite("Workflow state machine")
struct WorkflowTests {
    static let reviewer = Actor(name: "dr-patel", isAdmin: false, reviewers: ["dr-patel", "dr-okafor"])
    static let admin = Actor(name: "coordinator", isAdmin: true, reviewers: ["dr-patel", "dr-okafor"])

    static let actions: [WorkflowAction] = [
        .triage(priority: nil, assignee: "dr-patel", note: nil),
        .review(findings: "ok"),
        .respond,
        .withdraw(reason: "patient asked"),
    ]

    /// The only moves the brief allows; every other state × action pair must be refused.
    static func expected(_ state: CaseState, _ action: WorkflowAction) -> CaseState? {
        switch (state, action) {
        case (.received, .triage), (.triaged, .triage): .triaged
        case (.triaged, .review): .reviewed
        case (.reviewed, .respond): .responded
        case (.received, .withdraw), (.triaged, .withdraw), (.reviewed, .withdraw): .withdrawn
        default: nil
        }
    }

    @Test("Every state × action pair", arguments: CaseState.allCases, actions)
    func everyPair(state: CaseState, action: WorkflowAction) {
        let snapshot = CaseSnapshot(state: state, priority: .routine, assignee: "dr-patel")
        let result = Workflow.decide(snapshot, action, by: Self.reviewer)
        switch (result, Self.expected(state, action)) {
        case (.success(let transition), let target?):
            #expect(transition.to == target)
            #expect(transition.from == state)
        case (.failure(let error), nil):
            #expect(error == .invalidTransition(from: state, action: action.name))
        default:
            Issue.record("\(state) × \(action.name): got \(result), expected \(String(describing: Self.expected(state, action)))")
        }
    }

    @Test("Each move announces its own event type")
    func notifications() throws {
        let cases: [(CaseState, WorkflowAction, NotificationType)] = [
            (.received, .triage(priority: nil, assignee: nil, note: nil), .caseTriaged),
            (.triaged, .review(findings: "x"), .caseReviewed),
            (.reviewed, .respond, .caseResponded),
            (.triaged, .withdraw(reason: "x"), .caseWithdrawn),
        ]
        for (state, action, notification) in cases {
            let transition = try Workflow.decide(CaseSnapshot(state: state, priority: .urgent, assignee: "dr-patel"), action, by: Self.reviewer).get()
            #expect(transition.notification == notification)
        }
    }

    @Test("Triage checks reviewers and asks for a note when it overrides the symptoms' priority")
    func triageRules() {
        let received = CaseSnapshot(state: .received, priority: .emergency)
        #expect(Workflow.decide(received, .triage(priority: nil, assignee: "dr-who", note: nil), by: Self.reviewer)
            == .failure(.unknownReviewer("dr-who", known: ["dr-okafor", "dr-patel"])))
        #expect(Workflow.decide(received, .triage(priority: .routine, assignee: nil, note: nil), by: Self.reviewer)
            == .failure(.noteRequiredForPriorityChange(from: .emergency, to: .routine)))
        let downgraded = try? Workflow.decide(received, .triage(priority: .routine, assignee: "dr-okafor", note: "old finding"), by: Self.reviewer).get()
        #expect(downgraded?.priority == .routine && downgraded?.assignee == "dr-okafor")
        let triaged = CaseSnapshot(state: .triaged, priority: .urgent, assignee: "dr-patel")
        #expect(Workflow.decide(triaged, .triage(priority: nil, assignee: nil, note: nil), by: Self.reviewer) == .failure(.nothingToChange))
    }

    @Test("Only the assigned reviewer records the review; an admin may, flagged as an override")
    func reviewRules() throws {
        let assignedToOther = CaseSnapshot(state: .triaged, priority: .urgent, assignee: "dr-okafor")
        #expect(Workflow.decide(assignedToOther, .review(findings: "x"), by: Self.reviewer)
            == .failure(.notAssignedReviewer(assignee: "dr-okafor", actor: "dr-patel")))
        let override = try Workflow.decide(assignedToOther, .review(findings: "x"), by: Self.admin).get()
        #expect(override.adminOverride && override.to == .reviewed)
        let mine = CaseSnapshot(state: .triaged, priority: .urgent, assignee: "dr-patel")
        #expect(try Workflow.decide(mine, .review(findings: "x"), by: Self.reviewer).get().adminOverride == false)
        #expect(Workflow.decide(mine, .review(findings: "  "), by: Self.reviewer) == .failure(.missingText("findings")))
        #expect(Workflow.decide(mine, .withdraw(reason: ""), by: Self.reviewer) == .failure(.missingText("reason")))
    }

    @Test("The most severe symptom sets the priority")
    func priorityFromSymptoms() {
        #expect(Priority(symptoms: [Symptom.sciatica, .bowelBladderDysfunction]) == .emergency)
        #expect(Priority(symptoms: [Symptom.saddleNumbness]) == .emergency)
        #expect(Priority(symptoms: [Symptom.backPain, .feverChills]) == .urgent)
        #expect(Priority(symptoms: [Symptom.neckPain]) == .routine)
        #expect(Priority(symptoms: [Symptom]()) == .routine)
        #expect(Symptom.allCases.count == 16)
    }
}
