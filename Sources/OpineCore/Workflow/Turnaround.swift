import Foundation

/// The turnaround promised per priority: how long after receipt a case may take to be triaged, reviewed and
/// responded to. Every target counts from receipt (not from entering the state), so each is the whole promise made to
/// the patient, and a case's due time is a pure function of its receipt, priority and state: it is computed wherever it
/// is needed and never stored, so a changed configuration re-times every open case at once.
public struct TurnaroundPolicy: Sendable, Equatable {
    /// How long after receipt a case of one priority must have left each open state.
    public struct Targets: Sendable, Equatable {
        /// A `received` case is due this long after receipt.
        public var triaged: TimeInterval
        /// A `triaged` case is due this long after receipt.
        public var reviewed: TimeInterval
        /// A `reviewed` case is due this long after receipt.
        public var responded: TimeInterval

        /// Sets the three targets, in seconds from receipt.
        public init(triaged: TimeInterval, reviewed: TimeInterval, responded: TimeInterval) {
            self.triaged = triaged
            self.reviewed = reviewed
            self.responded = responded
        }

        /// The target a case in `state` is held to; nil for a final state, which has nothing left to do.
        public func within(_ state: CaseState) -> TimeInterval? {
            switch state {
            case .received: triaged
            case .triaged: reviewed
            case .reviewed: responded
            case .responded, .withdrawn, .awaitingInformation: nil
            }
        }

        /// Sets the target a case in `state` is held to; a final state has none, so it is left as it is.
        public mutating func set(_ state: CaseState, _ seconds: TimeInterval) {
            switch state {
            case .received: triaged = seconds
            case .triaged: reviewed = seconds
            case .reviewed: responded = seconds
            case .responded, .withdrawn, .awaitingInformation: break
            }
        }
    }

    /// Emergency: triaged within 15 minutes, reviewed within 4 hours, responded within a day.
    public var emergency = Targets(triaged: 15 * 60, reviewed: 4 * 3600, responded: 86400)
    /// Urgent: triaged within 4 hours, reviewed within 2 days, responded within 3 days.
    public var urgent = Targets(triaged: 4 * 3600, reviewed: 2 * 86400, responded: 3 * 86400)
    /// Routine: triaged within a day, reviewed within 5 days, responded within 7 days.
    public var routine = Targets(triaged: 86400, reviewed: 5 * 86400, responded: 7 * 86400)
    /// An untriaged emergency past its due time is announced again this often until someone triages it.
    public var emergencyReannounceInterval: TimeInterval = 15 * 60
    /// How long a case waits for the patient before `case.information_reminder` goes out (once per wait).
    public var informationReminderAfter: TimeInterval = 7 * 86400

    /// The documented defaults.
    public init() {}

    /// The targets of one priority.
    public subscript(priority: Priority) -> Targets {
        get {
            switch priority {
            case .emergency: emergency
            case .urgent: urgent
            case .routine: routine
            }
        }
        set {
            switch priority {
            case .emergency: emergency = newValue
            case .urgent: urgent = newValue
            case .routine: routine = newValue
            }
        }
    }

    /// When a case of this priority in this state is due; nil for a final state.
    public func dueAt(priority: Priority, state: CaseState, receivedAt: Date) -> Date? {
        self[priority].within(state).map { receivedAt.addingTimeInterval($0) }
    }

    /// A case of this priority in this state is overdue at `now` when it was received at or before the time returned
    /// (nil for a final state). The store's queries compare receipt times with it, so they read an index in order.
    public func overdueCutoff(priority: Priority, state: CaseState, now: Date) -> Date? {
        self[priority].within(state).map { now.addingTimeInterval(-$0) }
    }

    /// A case is overdue when it is open and its due time has passed.
    public func isOverdue(priority: Priority, state: CaseState, receivedAt: Date, now: Date) -> Bool {
        dueAt(priority: priority, state: state, receivedAt: receivedAt).map { now >= $0 } ?? false
    }

    /// Why these targets cannot be used, or nil: since they all count from receipt, a later step's target shorter
    /// than an earlier one's would make a case overdue on arrival in that state.
    public var problem: String? {
        for priority in Priority.allCases {
            let targets = self[priority]
            if targets.reviewed < targets.triaged {
                return "turnaround.\(priority.rawValue)_reviewed_within is shorter than turnaround.\(priority.rawValue)_triaged_within; "
                    + "both count from receipt, so make it at least as long"
            }
            if targets.responded < targets.reviewed {
                return "turnaround.\(priority.rawValue)_responded_within is shorter than turnaround.\(priority.rawValue)_reviewed_within; "
                    + "both count from receipt, so make it at least as long"
            }
        }
        return nil
    }

    /// The clock sweep's decision for one case at `now`: the notices to send, emergencies first. A case past its due
    /// time gets one `case.overdue` per state; an emergency still `received` past its due time is announced again
    /// when it falls due and then every `emergencyReannounceInterval` until it is triaged; a red flag the patient
    /// reported past triage, every interval until someone acts. A case waiting for the patient gets its reminder.
    public func sweep(_ clock: CaseClock, now: Date) -> [ClockNotice] {
        if clock.state == .awaitingInformation { return reminder(clock, now: now).map { [$0] } ?? [] }
        var notices: [ClockNotice] = []
        if let notice = redFlag(clock, now: now) { notices.append(notice) }
        guard let due = dueAt(priority: clock.priority, state: clock.state, receivedAt: clock.receivedAt), now >= due else { return notices }
        if notices.isEmpty, clock.redFlagSince == nil, clock.state == .received, clock.priority == .emergency,
           clock.emergencyAnnouncedAt.map({ now.timeIntervalSince($0) >= emergencyReannounceInterval }) ?? true {
            notices.append(ClockNotice(action: .reannounceEmergency, state: clock.state, dueAt: due))
        }
        if clock.overdueNotifiedState != clock.state {
            notices.append(ClockNotice(action: .overdue, state: clock.state, dueAt: due))
        }
        return notices
    }
}

extension TurnaroundPolicy {
    /// A case waiting for the patient `informationReminderAfter` since the wait began gets one
    /// `case.information_reminder` per wait.
    func reminder(_ clock: CaseClock, now: Date) -> ClockNotice? {
        guard let since = clock.awaitingSince, clock.informationRemindedAt == nil else { return nil }
        let due = since.addingTimeInterval(informationReminderAfter)
        return now >= due ? ClockNotice(action: .informationReminder, state: clock.state, dueAt: due) : nil
    }

    /// A red flag the patient reported past triage (or after the response) is announced every
    /// `emergencyReannounceInterval` until someone acts on the case, as an untriaged emergency is until triage.
    func redFlag(_ clock: CaseClock, now: Date) -> ClockNotice? {
        guard let since = clock.redFlagSince,
              clock.emergencyAnnouncedAt.map({ now.timeIntervalSince($0) >= emergencyReannounceInterval }) ?? true else { return nil }
        return ClockNotice(action: .reannounceEmergency, state: clock.state, dueAt: since, redFlag: true)
    }

    /// Where the reminder sweep starts looking: waits that began at or before this are due a reminder.
    public func reminderCutoff(now: Date) -> Date { now.addingTimeInterval(-informationReminderAfter) }
}

/// What the clock sweep needs to know of an open case.
public struct CaseClock: Sendable, Equatable {
    /// The state the case is in now.
    public var state: CaseState
    /// Its current priority.
    public var priority: Priority
    /// When its clock started: when opined stored it, moved later by every wait for the patient. Every due time
    /// counts from here.
    public var receivedAt: Date
    /// The state whose `case.overdue` was sent, if any; a notice is due again only in another state.
    public var overdueNotifiedState: CaseState?
    /// When the sweep last announced this untriaged emergency again; nil before the first time.
    public var emergencyAnnouncedAt: Date?
    /// While the case waits for the patient: since when.
    public var awaitingSince: Date?
    /// When the reminder for the current wait went out, if it did.
    public var informationRemindedAt: Date?
    /// Since when a red flag the patient reported waits for someone to act on the case.
    public var redFlagSince: Date?

    /// A case's clock as the store read it.
    public init(
        state: CaseState, priority: Priority, receivedAt: Date, overdueNotifiedState: CaseState? = nil,
        emergencyAnnouncedAt: Date? = nil, awaitingSince: Date? = nil, informationRemindedAt: Date? = nil,
        redFlagSince: Date? = nil
    ) {
        self.redFlagSince = redFlagSince
        self.awaitingSince = awaitingSince
        self.informationRemindedAt = informationRemindedAt
        self.state = state
        self.priority = priority
        self.receivedAt = receivedAt
        self.overdueNotifiedState = overdueNotifiedState
        self.emergencyAnnouncedAt = emergencyAnnouncedAt
    }
}

/// One thing the clock sweep decided to send for a case, complete: the store records it, writes the audit event and
/// enqueues the notification in one transaction, and decides nothing itself.
public struct ClockNotice: Sendable, Equatable {
    /// What the sweep does.
    public enum Action: Sendable, Equatable {
        /// Send `case.overdue` for the case's state; remembered so it goes once per state.
        case overdue
        /// Send `case.emergency` again for an untriaged emergency; remembered to space the next one.
        case reannounceEmergency
        /// Send `case.information_reminder` for a case still waiting for the patient; remembered, so once per wait.
        case informationReminder
    }

    /// What the sweep does.
    public var action: Action
    /// The state the case is overdue in.
    public var state: CaseState
    /// When the case was due in that state (for a red flag: when it arrived).
    public var dueAt: Date
    /// A re-announced red flag the patient reported past triage, not an untriaged emergency.
    public var redFlag: Bool

    /// A notice for a case overdue in `state` since `dueAt`.
    public init(action: Action, state: CaseState, dueAt: Date, redFlag: Bool = false) {
        self.redFlag = redFlag
        self.action = action
        self.state = state
        self.dueAt = dueAt
    }

    /// The webhook it enqueues.
    public var notification: NotificationType {
        switch action {
        case .overdue: .caseOverdue
        case .reannounceEmergency: .caseEmergency
        case .informationReminder: .caseInformationReminder
        }
    }

    /// The audit event recorded with it: the case does not move, so neither state is set; the detail says which
    /// state was due when.
    public var event: AuditEvent {
        switch action {
        case .reannounceEmergency where redFlag:
            AuditEvent(type: .reannounce, detail: ["red_flag_since": Timestamps.format(dueAt)])
        case .overdue, .reannounceEmergency:
            AuditEvent(
                type: action == .overdue ? .overdue : .reannounce,
                detail: ["overdue_state": state.rawValue, "due_at": Timestamps.format(dueAt)])
        case .informationReminder:
            AuditEvent(type: .informationReminder, detail: ["due_at": Timestamps.format(dueAt)])
        }
    }
}
