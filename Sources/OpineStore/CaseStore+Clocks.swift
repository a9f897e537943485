import Foundation
import GRDB
import OpineCore

extension CaseStore {
    /// The most unnoticed overdue cases one sweep transaction takes, so a large backlog cannot hold the write lock
    /// for long; the sweep repeats until none are left.
    static let sweepBatch = 200

    /// The clock sweep: finds the open cases whose due time has passed, lets Core decide (`TurnaroundPolicy.sweep`)
    /// and writes each notice with its audit event and outbox row in one transaction. Returns how many notices it
    /// wrote, so the caller wakes the delivery worker only when there is something to send.
    @discardableResult
    public func sweepClocks(_ policy: TurnaroundPolicy, now: Date = Date()) throws -> Int {
        var total = 0
        while true {
            let (written, more) = try pool.write { db in try sweepBatch(db, policy, now: now) }
            total += written
            if !more { return total }
        }
    }

    /// One transaction of the sweep; `more` says another batch of unnoticed overdue cases may be waiting.
    private func sweepBatch(_ db: Database, _ policy: TurnaroundPolicy, now: Date) throws -> (written: Int, more: Bool) {
        var candidates = SweepCandidates()
        try overdueCandidates(db, policy, now: now, into: &candidates)
        try conversationCandidates(db, policy, now: now, into: &candidates)
        var written = 0
        for record in candidates.records.values.sorted(by: { ($0.priorityRank, $0.seq ?? 0) < ($1.priorityRank, $1.seq ?? 0) }) {
            guard let clock = record.clock else { continue }
            for notice in policy.sweep(clock, now: now) {
                try writeNotice(notice, for: record, now: now, db)
                written += 1
            }
        }
        // Another batch only after one that wrote: a candidate Core declined (a boundary the SQL cutoff rounded the
        // other way) is looked at again at the next sweep rather than in a loop now.
        return (written, candidates.more && written > 0)
    }

    /// The cases one sweep transaction looks at, and whether a query was cut at the batch size.
    private struct SweepCandidates {
        var records: [String: CaseRecord] = [:]
        var more = false

        mutating func add(_ found: [CaseRecord]) {
            more = more || found.count == CaseStore.sweepBatch
            for record in found { records[record.id] = record }
        }
    }

    /// Timed cases past due and not yet told, and untriaged emergencies due to be announced again.
    private func overdueCandidates(_ db: Database, _ policy: TurnaroundPolicy, now: Date, into candidates: inout SweepCandidates) throws {
        for state in CaseState.timed {
            for priority in Priority.allCases {
                guard let cutoff = policy.overdueCutoff(priority: priority, state: state, now: now) else { continue }
                // Spelled as in the partial index's WHERE, so the sweep reads only cases not yet told.
                candidates.add(try CaseRecord.fetchAll(db, sql: """
                    SELECT * FROM cases INDEXED BY cases_overdue_unnoticed
                    WHERE state IN ('received','triaged','reviewed') AND overdue_notified_state IS NOT state
                        AND state = ? AND priority_rank = ? AND clock_started_at <= ?
                    ORDER BY clock_started_at LIMIT ?
                    """, arguments: [state.rawValue, priority.rank, Timestamps.format(cutoff), Self.sweepBatch]))
            }
        }
        // Untriaged emergencies past due may need announcing again even after their overdue notice: those not
        // announced within the interval, a batch at a time like the rest.
        if let cutoff = policy.overdueCutoff(priority: .emergency, state: .received, now: now) {
            let lastBefore = Timestamps.format(now.addingTimeInterval(-policy.emergencyReannounceInterval))
            candidates.add(try CaseRecord.fetchAll(db, sql: """
                SELECT * FROM cases INDEXED BY cases_open_by_receipt
                WHERE state IN ('received','triaged','reviewed') AND state = 'received' AND priority_rank = ?
                    AND clock_started_at <= ? AND (emergency_announced_at IS NULL OR emergency_announced_at <= ?)
                ORDER BY clock_started_at LIMIT ?
                """, arguments: [Priority.emergency.rank, Timestamps.format(cutoff), lastBefore, Self.sweepBatch]))
        }
    }

    /// Red flags the patient reported that no one acted on, not announced within the interval, and waits for the
    /// patient due their reminder.
    private func conversationCandidates(_ db: Database, _ policy: TurnaroundPolicy, now: Date, into candidates: inout SweepCandidates) throws {
        candidates.add(try CaseRecord.fetchAll(db, sql: """
            SELECT * FROM cases INDEXED BY cases_red_flag
            WHERE red_flag_since IS NOT NULL AND (emergency_announced_at IS NULL OR emergency_announced_at <= ?)
            ORDER BY red_flag_since LIMIT ?
            """, arguments: [Timestamps.format(now.addingTimeInterval(-policy.emergencyReannounceInterval)), Self.sweepBatch]))
        candidates.add(try CaseRecord.fetchAll(db, sql: """
            SELECT * FROM cases INDEXED BY cases_awaiting
            WHERE state = 'awaiting_information' AND awaiting_since <= ? AND information_reminded_at IS NULL
            ORDER BY awaiting_since LIMIT ?
            """, arguments: [Timestamps.format(policy.reminderCutoff(now: now)), Self.sweepBatch]))
    }

    /// Writes one notice: what was sent (so it is not sent again), the audit event and the outbox row.
    private func writeNotice(_ notice: ClockNotice, for record: CaseRecord, now: Date, _ db: Database) throws {
        let at = Timestamps.format(now)
        let columns = CaseRecord.Columns.self
        let target = CaseRecord.filter(columns.id == record.id && columns.state == notice.state.rawValue)
        // Neither the version nor updated_at moves: the case itself did not change, and a coordinator who read it a
        // moment ago must not get a conflict because a clock ran out.
        var data = NotificationData(case: record, at: at)
        var message: String?
        switch notice.action {
        case .overdue: try target.updateAll(db, [columns.overdueNotifiedState.set(to: notice.state.rawValue)])
        case .reannounceEmergency: try target.updateAll(db, [columns.emergencyAnnouncedAt.set(to: at)])
        case .informationReminder:
            try target.updateAll(db, [columns.informationRemindedAt.set(to: at)])
            message = try openRequest(db, of: record.id)?.message
            data.awaitingSince = record.awaitingSince
        }
        var event = EventRecord(notice.event, caseID: record.id, at: at, actor: Self.daemonActor)
        try event.append(db)
        if notice.action != .informationReminder, !notice.redFlag {
            data.overdueState = notice.state
            data.dueAt = Timestamps.format(notice.dueAt)
        }
        var outbox = OutboxRecord(
            type: notice.notification, caseID: record.id, rejectionID: nil, createdAt: at, data: data.encoded(),
            priorityRank: FanOutPolicy.rank(of: notice.notification, priority: record.priority), message: message)
        try outbox.insert(db)
    }

    /// Open cases past their due time, most overdue first (then by arrival), one page. Each state and priority is
    /// one range of `cases_open_by_receipt`, read in order and cut at the page's end, then merged by due time.
    public func overdue(_ filter: CaseFilter, policy: TurnaroundPolicy, now: Date = Date()) throws -> [CaseSummary] {
        let states = filter.states.isEmpty ? CaseState.timed : filter.states.filter(CaseState.timed.contains)
        let priorities = filter.priority.map { [$0] } ?? Priority.allCases
        let wanted = filter.limit + filter.offset
        return try pool.read { db in
            var found: [(due: Date, seq: Int64, summary: CaseSummary)] = []
            for state in states {
                for priority in priorities {
                    guard let cutoff = policy.overdueCutoff(priority: priority, state: state, now: now) else { continue }
                    var arguments: StatementArguments = [state.rawValue, priority.rank, Timestamps.format(cutoff)]
                    var assignee = ""
                    if let name = filter.assignee {
                        assignee = "AND assignee = ?"
                        _ = arguments.append(contentsOf: [name])
                    }
                    _ = arguments.append(contentsOf: [wanted])
                    for row in try Row.fetchAll(db, sql: """
                        SELECT seq, id, state, priority, assignee, regions, received_at, updated_at, clock_started_at
                        FROM cases INDEXED BY cases_open_by_receipt
                        WHERE state IN ('received','triaged','reviewed') AND state = ? AND priority_rank = ?
                            AND clock_started_at <= ? \(assignee)
                        ORDER BY clock_started_at LIMIT ?
                        """, arguments: arguments) {
                        let summary = try CaseSummary(row: row)
                        guard let started = Timestamps.parse(row["clock_started_at"] as String),
                              let due = policy.dueAt(priority: priority, state: state, receivedAt: started) else { continue }
                        found.append((due, row["seq"], summary))
                    }
                }
            }
            found.sort { ($0.due, $0.seq) < ($1.due, $1.seq) }
            return found.dropFirst(filter.offset).prefix(filter.limit).map(\.summary)
        }
    }

    /// Open cases past their due time, per priority: one counted index range per state and priority.
    func overdueCounts(_ db: Database, policy: TurnaroundPolicy, now: Date) throws -> [Priority: Int] {
        var counts: [Priority: Int] = [:]
        for priority in Priority.allCases {
            var count = 0
            for state in CaseState.timed {
                guard let cutoff = policy.overdueCutoff(priority: priority, state: state, now: now) else { continue }
                count += try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM cases INDEXED BY cases_open_by_receipt
                    WHERE state IN ('received','triaged','reviewed') AND state = ? AND priority_rank = ? AND clock_started_at <= ?
                    """, arguments: [state.rawValue, priority.rank, Timestamps.format(cutoff)]) ?? 0
            }
            counts[priority] = count
        }
        return counts
    }

    /// When the oldest case of `priority` still waiting for triage arrived; one seek on `cases_open_by_receipt`.
    func oldestUntriaged(_ db: Database, priority: Priority = .emergency) throws -> Date? {
        try String.fetchOne(db, sql: """
            SELECT MIN(clock_started_at) FROM cases INDEXED BY cases_open_by_receipt
            WHERE state IN ('received','triaged','reviewed') AND state = 'received' AND priority_rank = ?
            """, arguments: [priority.rank]).flatMap(Timestamps.parse)
    }
}
