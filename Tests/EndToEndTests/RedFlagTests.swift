import Foundation
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// "Red flags never wait": escalations are announced, and the turnaround clocks of the real opined send
/// `case.overdue` once per state and re-announce an untriaged emergency until someone triages it.
@Suite("Red flags: escalation announced, overdue notices once per state, emergencies re-announced until triaged")
struct RedFlagTests {
    static let admin = Sandbox.admin
    static let cauda = ["sciatica", "bowel_bladder_dysfunction"]
    /// A receiver path that answers 200 (the receiver's switch, left up).
    static let pager = "/switch/pager"

    /// The case's outbox rows of one type, as the daemon wrote them (atomically with the sweep that decided them).
    static func outbox(_ sandbox: Sandbox, _ caseID: String, _ type: NotificationType) throws -> [NotificationData] {
        try sandbox.store().outbox(caseID: caseID).filter { $0.type == type }.map { try NotificationData.decode($0.data) }
    }

    @Test("A triage that raises a case to emergency reaches an endpoint subscribed to case.emergency; a note reaches no one")
    func escalationAnnounced() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok")
            + receiver.endpoint("pager", path: Self.pager, extra: "events = [\"case.emergency\"]"))
        try sandbox.startDaemon()
        let id = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-escalate")]).first)
        let triage = try sandbox.opine(
            ["triage", id, "--priority", "emergency", "--note", "new saddle numbness on the phone", "--assign", "dr-patel"],
            extraEnvironment: Self.admin)
        #expect(triage.status == 0, "\(triage.stderr)")

        try waitUntil("the pager hears of the escalation") { receiver.requests(Self.pager).contains { $0.caseID == id } }
        let page = try #require(receiver.requests(Self.pager).first)
        #expect(page.type == "case.emergency" && receiver.requests(Self.pager).count == 1)
        #expect(page.data["priority"] as? String == "emergency" && page.data["state"] as? String == "triaged")
        #expect(Receiver.signatureVerifies(page))

        // A note alone is recorded but announced to no one: the next real change arrives right after the triage.
        #expect(try sandbox.opine(["triage", id, "--note", "patient called back"], extraEnvironment: Self.admin).status == 0)
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-okafor"], extraEnvironment: Self.admin).status == 0)
        try waitUntil("the desk has the re-triage") { receiver.requests("/ok").filter { $0.caseID == id }.count == 4 }
        #expect(receiver.requests("/ok").filter { $0.caseID == id }.map(\.type)
            == ["case.received", "case.emergency", "case.triaged", "case.triaged"])
        #expect(receiver.requests(Self.pager).count == 1, "the re-triage of an emergency is not a new escalation")
        let history = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
        #expect(history.map { $0["type"] as? String } == ["intake", "triage", "note", "retriage"])
    }

    @Test("A case past its due time gets exactly one case.overdue per state, with the state and the due time")
    func overdueOncePerState() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        sandbox.environment["OPINE_TURNAROUND_ROUTINE_TRIAGED_WITHIN"] = "1s"
        sandbox.environment["OPINE_TURNAROUND_ROUTINE_REVIEWED_WITHIN"] = "3s"
        try sandbox.startDaemon()
        let id = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-late-1")]).first)

        try waitUntil("the desk is told the case is overdue for triage") {
            receiver.requests("/ok").contains { $0.caseID == id && $0.type == "case.overdue" }
        }
        let notice = try #require(receiver.requests("/ok").first { $0.caseID == id && $0.type == "case.overdue" })
        let received = try #require(Timestamps.parse(notice.data["received_at"] as? String ?? ""))
        #expect(notice.data["overdue_state"] as? String == "received" && notice.data["state"] as? String == "received")
        #expect(notice.data["due_at"] as? String == Timestamps.format(received.addingTimeInterval(1)))
        // A sweep that certainly saw this case again: the one that told a case dropped after this notice arrived.
        try Self.awaitLaterSweep(sandbox, name: "web-late-2")
        #expect(try Self.outbox(sandbox, id, .caseOverdue).map(\.overdueState) == [.received], "once for received")

        let queue = try #require(try sandbox.opine("list", "--state", "received", "--json").json()["cases"] as? [[String: Any]])
        let listed = try #require(queue.first { $0["id"] as? String == id })
        #expect(listed["overdue"] as? Bool == true && listed["due_at"] as? String == notice.data["due_at"] as? String)
        let overdueOnly = try #require(try sandbox.opine("list", "--overdue", "--json").json()["cases"] as? [[String: Any]])
        #expect(overdueOnly.first?["id"] as? String == id, "most overdue first")
        let text = try sandbox.opine("list").stdout
        #expect(text.contains("DUE") && text.contains("overdue "))
        let metrics = try sandbox.opine("stats", "--prometheus").stdout
        #expect(metrics.contains("opine_cases_overdue{priority=\"routine\"} 2"), "\(metrics)")

        // Triaged, it is held to the review target, and told once more, for that state.
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Self.admin).status == 0)
        try waitUntil("the desk is told the case is overdue for review") {
            receiver.requests("/ok").filter { $0.caseID == id && $0.type == "case.overdue" }.count == 2
        }
        try Self.awaitLaterSweep(sandbox, name: "web-late-3")
        #expect(try Self.outbox(sandbox, id, .caseOverdue).map(\.overdueState) == [.received, .triaged])
        let show = try sandbox.opine("show", id, "--json").json()
        #expect(show["overdue"] as? Bool == true && show["due_at"] as? String == Timestamps.format(received.addingTimeInterval(3)))
        let history = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
        #expect(history.map { $0["type"] as? String } == ["intake", "overdue", "triage", "overdue"])

        // Closed, it is due no more.
        #expect(try sandbox.opine(["withdraw", id, "--reason", "patient asked"], extraEnvironment: Self.admin).status == 0)
        let closed = try sandbox.opine("show", id, "--json").json()
        #expect(closed["due_at"] is NSNull && closed["overdue"] as? Bool == false)
    }

    @Test("An untriaged emergency past due is announced again every interval until triaged, and not after")
    func emergencyReannounced() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("pager", path: Self.pager, extra: "events = [\"case.emergency\"]"))
        sandbox.environment["OPINE_TURNAROUND_EMERGENCY_TRIAGED_WITHIN"] = "1s"
        sandbox.environment["OPINE_TURNAROUND_EMERGENCY_REANNOUNCE_INTERVAL"] = "2s"
        try sandbox.startDaemon()
        let id = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-red-1", symptoms: Self.cauda)]).first)

        try waitUntil("the pager has heard of the emergency three times") {
            receiver.requests(Self.pager).filter { $0.caseID == id }.count >= 3
        }
        let pages = receiver.requests(Self.pager).filter { $0.caseID == id }
        #expect(pages[0].data["due_at"] == nil, "the first announcement is intake's")
        #expect(pages[1].data["overdue_state"] as? String == "received" && pages[1].data["due_at"] is String)
        let metrics = try sandbox.opine("stats", "--prometheus").stdout
        #expect(!metrics.contains("opine_oldest_untriaged_emergency_seconds 0\n"), "\(metrics)")

        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Self.admin).status == 0)
        let announced = try Self.outbox(sandbox, id, .caseEmergency).count
        // Another emergency re-announced twice after the triage proves sweeps more than an interval later saw both.
        let other = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-red-2", symptoms: Self.cauda)]).first)
        try waitUntil("the other emergency is re-announced twice") { try Self.outbox(sandbox, other, .caseEmergency).count >= 3 }
        #expect(try Self.outbox(sandbox, id, .caseEmergency).count == announced, "no re-announcement once triaged")
        #expect(try Self.outbox(sandbox, id, .caseTriaged).count == 1)
    }

    /// Drops another case of the same (short) turnaround and waits until its overdue notice is written: that sweep
    /// began after every notice seen so far, and looked at every overdue case.
    static func awaitLaterSweep(_ sandbox: Sandbox, name: String) throws {
        let later = try #require(try sandbox.addCases([BundleBuilder(submissionID: name)]).first)
        try waitUntil("a later sweep tells \(later)") { try !outbox(sandbox, later, .caseOverdue).isEmpty }
    }
}
