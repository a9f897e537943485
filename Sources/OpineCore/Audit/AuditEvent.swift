/// What an audit event records, stored in `events.type`: every intake, duplicate, rejection, start-up repair and
/// staff action has one.
public enum EventType: String, Codable, Sendable, CaseIterable {
    case intake, duplicate, rejection, repair
    case triage, retriage, review, respond, withdraw
}

/// A repair made at start-up after a crash, stored as `detail.repair` of a `repair` event
/// (docs/reliability.md explains each).
public enum RepairKind: String, Codable, Sendable, CaseIterable {
    case stagingRemoved = "staging_removed"
    case takenUploadRemoved = "taken_upload_removed"
    case setAside = "set_aside"
    case caseFolderMissing = "case_folder_missing"
    case copyRemoved = "copy_removed"
    case quarantineUnfilledRemoved = "quarantine_unfilled_removed"
    case rejectionRecorded = "rejection_recorded"
    case quarantineReturned = "quarantine_returned"
}

/// An audit event as Core decides it; the store adds the time, the actor, the case and the hash chain.
public struct AuditEvent: Sendable, Equatable {
    public var type: EventType
    public var fromState: CaseState?
    public var toState: CaseState?
    /// Written as a JSON object of strings with sorted keys.
    public var detail: [String: String]

    public init(type: EventType, fromState: CaseState? = nil, toState: CaseState? = nil, detail: [String: String] = [:]) {
        self.type = type
        self.fromState = fromState
        self.toState = toState
        self.detail = detail
    }

    /// A start-up repair: the kind goes into the detail beside what it touched.
    public static func repair(_ kind: RepairKind, _ detail: [String: String] = [:]) -> AuditEvent {
        AuditEvent(type: .repair, detail: detail.merging(["repair": kind.rawValue]) { old, _ in old })
    }
}
