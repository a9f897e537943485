import Foundation
import OpineCore
import Testing

/// `TurnaroundPolicy` without a database: when each case is due, and what the daemon's clock sweep sends for it.
@Suite("TurnaroundPolicy: due times per priority and state, and the clock sweep's notices")
struct TurnaroundPolicyTests {
    static let received = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy = TurnaroundPolicy()

    static func at(_ seconds: TimeInterval) -> Date { received.addingTimeInterval(seconds) }

    @Test("Defaults: every target counts from receipt; final states are never due")
    func defaults() {
        let expected: [(Priority, CaseState, TimeInterval?)] = [
            (.emergency, .received, 15 * 60), (.emergency, .triaged, 4 * 3600), (.emergency, .reviewed, 86400),
            (.urgent, .received, 4 * 3600), (.urgent, .triaged, 2 * 86400), (.urgent, .reviewed, 3 * 86400),
            (.routine, .received, 86400), (.routine, .triaged, 5 * 86400), (.routine, .reviewed, 7 * 86400),
            (.emergency, .responded, nil), (.routine, .withdrawn, nil),
        ]
        for (priority, state, within) in expected {
            #expect(Self.policy.dueAt(priority: priority, state: state, receivedAt: Self.received) == within.map(Self.at),
                    "\(priority) \(state)")
        }
        #expect(Self.policy.emergencyReannounceInterval == 15 * 60)
        #expect(Self.policy.problem == nil)
    }

    @Test("Overdue at the due time exactly; the cutoff is the latest receipt that is overdue now")
    func overdueBoundary() {
        let due = Self.at(4 * 3600)
        #expect(!Self.policy.isOverdue(priority: .urgent, state: .received, receivedAt: Self.received, now: due.addingTimeInterval(-0.001)))
        #expect(Self.policy.isOverdue(priority: .urgent, state: .received, receivedAt: Self.received, now: due))
        #expect(Self.policy.overdueCutoff(priority: .urgent, state: .received, now: due) == Self.received)
        #expect(Self.policy.overdueCutoff(priority: .urgent, state: .responded, now: due) == nil)
        #expect(!Self.policy.isOverdue(priority: .urgent, state: .withdrawn, receivedAt: Self.received, now: Self.at(365 * 86400)))
    }

    @Test("Before its due time a case gets nothing; after it, one case.overdue per state")
    func overdueOncePerState() {
        let clock = CaseClock(state: .triaged, priority: .routine, receivedAt: Self.received)
        #expect(Self.policy.sweep(clock, now: Self.at(5 * 86400 - 1)).isEmpty)
        let notices = Self.policy.sweep(clock, now: Self.at(5 * 86400 + 10))
        #expect(notices == [ClockNotice(action: .overdue, state: .triaged, dueAt: Self.at(5 * 86400))])
        #expect(notices.first?.notification == .caseOverdue)
        #expect(notices.first?.event == AuditEvent(type: .overdue, detail: [
            "overdue_state": "triaged", "due_at": Timestamps.format(Self.at(5 * 86400)),
        ]))
        var told = clock
        told.overdueNotifiedState = .triaged
        #expect(Self.policy.sweep(told, now: Self.at(6 * 86400)).isEmpty, "told once for this state")
        // Reviewed (still late): a new state, a new notice, due at its own target.
        told.state = .reviewed
        #expect(Self.policy.sweep(told, now: Self.at(8 * 86400)) == [ClockNotice(action: .overdue, state: .reviewed, dueAt: Self.at(7 * 86400))])
        told.state = .responded
        #expect(Self.policy.sweep(told, now: Self.at(30 * 86400)).isEmpty, "final cases are never due")
    }

    @Test("An untriaged emergency is announced again when it falls due, then every interval, until triaged")
    func emergencyReannounced() {
        var clock = CaseClock(state: .received, priority: .emergency, receivedAt: Self.received)
        #expect(Self.policy.sweep(clock, now: Self.at(14 * 60)).isEmpty)
        let due = Self.at(15 * 60)
        let first = Self.policy.sweep(clock, now: due)
        #expect(first == [
            ClockNotice(action: .reannounceEmergency, state: .received, dueAt: due),
            ClockNotice(action: .overdue, state: .received, dueAt: due),
        ], "the emergency goes first")
        #expect(first.map(\.notification) == [.caseEmergency, .caseOverdue])
        #expect(first.first?.event.type == .reannounce)
        clock.overdueNotifiedState = .received
        clock.emergencyAnnouncedAt = due
        #expect(Self.policy.sweep(clock, now: Self.at(29 * 60)).isEmpty, "not again within the interval")
        #expect(Self.policy.sweep(clock, now: Self.at(30 * 60)) == [ClockNotice(action: .reannounceEmergency, state: .received, dueAt: due)])
        clock.state = .triaged
        #expect(Self.policy.sweep(clock, now: Self.at(60 * 60)).isEmpty, "triaged: no more re-announcements, not yet due for review")
        // An urgent case never waiting for triage is not re-announced, only told overdue.
        let urgent = CaseClock(state: .received, priority: .urgent, receivedAt: Self.received)
        #expect(Self.policy.sweep(urgent, now: Self.at(5 * 3600)).map(\.action) == [.overdue])
    }

    @Test("Targets that shrink from one step to the next are refused, naming both keys")
    func shrinkingTargets() {
        var policy = TurnaroundPolicy()
        // `set` names the state a target applies to: a triaged case is held to the review target.
        policy[.urgent].set(.received, 3600)
        policy[.urgent].set(.triaged, 3 * 86400)
        #expect(policy[.urgent] == .init(triaged: 3600, reviewed: 3 * 86400, responded: 3 * 86400))
        #expect(policy.problem == nil, "equal targets are allowed")
        policy[.urgent].set(.triaged, 4 * 86400)
        #expect(policy.problem?.contains("turnaround.urgent_responded_within is shorter than turnaround.urgent_reviewed_within") == true)
    }
}
