import Foundation
import GRDB
@testable import OpineCore
@testable import OpineStore
import Testing

/// `CaseStore.sweepClocks` and the overdue queries on a real database, with the clock given rather than waited for.
@Suite("The store's clock sweep: what it writes, once, in batches; the overdue list and counts")
struct ClockSweepStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy = TurnaroundPolicy()

    /// Inserts `count` cases received at `at` as intake would (without files), returning their ids in order.
    static func insert(_ spool: Spool, _ count: Int, priority: Priority, at: Date, state: CaseState = .received) throws -> [String] {
        try spool.store.pool.write { db in
            try (0..<count).map { _ in
                let id = try spool.store.nextCaseID(db, now: at)
                var record = CaseRecord(
                    id: id, submissionID: "web-\(id)", contentSHA256: id, state: state, priority: priority,
                    priorityRank: priority.rank, intakePriority: priority, assignee: nil, regions: ["lumbar"], symptoms: [],
                    patientName: "Jane", patientDateOfBirth: "1968-04-02", patientEmail: nil, patientPhone: nil,
                    question: "?", symptomOnset: nil, priorTreatments: [], submittedAt: Timestamps.format(at),
                    receivedAt: Timestamps.format(at), updatedAt: Timestamps.format(at), findings: nil, withdrawnReason: nil,
                    fileCount: 0, totalBytes: 0, version: 1)
                try record.insert(db)
                return id
            }
        }
    }

    @Test("An overdue case is told once for its state, without moving its version; a backlog goes in batches")
    func overdueOnce() throws {
        let spool = try Spool()
        let ids = try Self.insert(spool, CaseStore.sweepBatch * 2 + 50, priority: .routine, at: Self.t0)
        #expect(try spool.store.sweepClocks(Self.policy, now: Self.t0.addingTimeInterval(86400 - 1)) == 0)
        let due = Self.t0.addingTimeInterval(86400)
        #expect(try spool.store.sweepClocks(Self.policy, now: due) == ids.count, "every batch in one sweep")
        #expect(try spool.store.sweepClocks(Self.policy, now: due.addingTimeInterval(3600)) == 0, "told once")
        let record = try spool.store.caseRecord(ids[0])
        #expect(record.version == 1 && record.updatedAt == Timestamps.format(Self.t0) && record.overdueNotifiedState == .received)
        let outbox = try spool.store.outbox(caseID: ids[0])
        #expect(outbox.map(\.type) == [.caseOverdue] && outbox[0].priorityRank == Priority.routine.rank)
        let data = try NotificationData.decode(outbox[0].data)
        #expect(data.overdueState == .received && data.dueAt == Timestamps.format(due) && data.state == .received)
        #expect(try spool.store.history(of: ids[0]).map(\.type) == [.overdue])
        #expect(try spool.count("SELECT COUNT(*) FROM events WHERE type = 'overdue'") == ids.count)
    }

    @Test("An untriaged emergency is re-announced at its due time and each interval after, never sooner")
    func emergencyReannounced() throws {
        let spool = try Spool()
        let id = try #require(try Self.insert(spool, 1, priority: .emergency, at: Self.t0).first)
        let due = Self.t0.addingTimeInterval(15 * 60)
        #expect(try spool.store.sweepClocks(Self.policy, now: due) == 2)
        #expect(try spool.store.sweepClocks(Self.policy, now: due.addingTimeInterval(14 * 60)) == 0)
        #expect(try spool.store.sweepClocks(Self.policy, now: due.addingTimeInterval(15 * 60)) == 1)
        #expect(try spool.store.outbox(caseID: id).map(\.type) == [.caseEmergency, .caseOverdue, .caseEmergency])
        #expect(try spool.store.history(of: id).map(\.type) == [.reannounce, .overdue, .reannounce])
    }

    @Test("The overdue list is most overdue first across states and priorities; metrics count it per priority")
    func overdueListAndMetrics() throws {
        let spool = try Spool()
        let routine = try Self.insert(spool, 2, priority: .routine, at: Self.t0)
        let urgent = try Self.insert(spool, 1, priority: .urgent, at: Self.t0.addingTimeInterval(3600))
        let emergency = try Self.insert(spool, 1, priority: .emergency, at: Self.t0.addingTimeInterval(86400))
        _ = try Self.insert(spool, 1, priority: .routine, at: Self.t0, state: .responded)
        let now = Self.t0.addingTimeInterval(86400 + 20 * 60)
        // Due: urgent at t0+5h, routine at t0+1d, emergency at t0+1d+15m.
        let listed = try spool.store.overdue(CaseFilter(), policy: Self.policy, now: now).map(\.id)
        #expect(listed == urgent + routine + emergency)
        var page = CaseFilter()
        page.limit = 2
        page.offset = 1
        #expect(try spool.store.overdue(page, policy: Self.policy, now: now).map(\.id) == routine)
        page = CaseFilter()
        page.priority = .routine
        #expect(try spool.store.overdue(page, policy: Self.policy, now: now).map(\.id) == routine)
        let metrics = try spool.store.metrics(now: now, turnaround: Self.policy)
        #expect(metrics.overdueByPriority == [.emergency: 1, .urgent: 1, .routine: 2])
        #expect(abs((metrics.oldestUntriagedEmergencySeconds ?? 0) - 20 * 60) < 0.01)
        #expect(metrics.prometheus().contains("opine_cases_overdue{priority=\"routine\"} 2\n"))
        #expect(try spool.store.metrics(now: Self.t0, turnaround: Self.policy).oldestUntriagedEmergencySeconds == 0)
    }
}
