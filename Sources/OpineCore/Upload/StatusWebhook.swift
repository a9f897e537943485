import Foundation

/// One of opined's webhooks as the upload service reads it: only what decides a patient's status. Read leniently:
/// a type or a value this version does not know is kept as nil (and then ignored), never a failure, so a newer opined
/// cannot make the service refuse, and opined retry, what it has no use for.
public struct StatusWebhook: Sendable, Equatable {
    /// The `webhook-id` header: the same on every retry of one event.
    public var id: String
    /// The event; nil for a type this version does not know.
    public var type: NotificationType?
    /// When the change happened at opined (`timestamp`).
    public var timestamp: Date
    /// The case's state after the change (`data.state`), for case events.
    public var caseState: CaseState?
    /// The case's priority after the change (`data.priority`), for case events.
    public var priority: Priority?
    /// The submission id the event names (`data.submission_id`).
    public var submissionID: String?
    /// For `bundle.rejected`: the upload's name digest (`data.upload_digest`).
    public var uploadDigest: String?
    /// For `bundle.rejected`: the rejection code (`data.reason`).
    public var reason: String?
    /// For `bundle.rejected`: the refusal's id (`data.rejection_id`).
    public var rejectionID: String?
    /// For `bundle.rejected`: the file at fault by its path within the upload (`data.entry`).
    public var entry: String?
    /// For `bundle.rejected`: the manifest field at fault (`data.field`).
    public var field: String?
    /// Whether the body carries the patient's contact or a message for the patient (`data.patient`,
    /// `data.message`): opined's endpoint for this service has `include_contact = true`, which it must not. Only the
    /// fact is kept, never the values.
    public var carriesContact = false

    /// A body that is not opined's webhook JSON (no `type`, no RFC 3339 `timestamp`, no `data` object).
    public struct Malformed: Error, CustomStringConvertible {
        /// What is missing, without repeating the body.
        public var description: String
    }

    /// Every field given; for tests and for callers that already hold the values.
    public init(
        id: String, type: NotificationType?, timestamp: Date, caseState: CaseState? = nil, priority: Priority? = nil,
        submissionID: String? = nil, uploadDigest: String? = nil, reason: String? = nil, rejectionID: String? = nil,
        entry: String? = nil, field: String? = nil
    ) {
        self.id = id
        self.type = type
        self.timestamp = timestamp
        self.caseState = caseState
        self.priority = priority
        self.submissionID = submissionID
        self.uploadDigest = uploadDigest
        self.reason = reason
        self.rejectionID = rejectionID
        self.entry = entry
        self.field = field
    }

    /// Reads a verified body (`{"type","timestamp","data"}`, as `WebhookMessage.body()` writes it).
    public static func parse(id: String, body: Data) throws -> StatusWebhook {
        let raw: Body
        do { raw = try JSONDecoder().decode(Body.self, from: body) } catch {
            throw Malformed(description: "the body is not a webhook's JSON object with type, timestamp and data")
        }
        guard let timestamp = Timestamps.parse(raw.timestamp) else {
            throw Malformed(description: "the webhook's timestamp is not an RFC 3339 time")
        }
        let data = raw.data
        var webhook = StatusWebhook(
            id: id, type: NotificationType(rawValue: raw.type), timestamp: timestamp,
            caseState: data.state.flatMap(CaseState.init(rawValue:)), priority: data.priority.flatMap(Priority.init(rawValue:)),
            submissionID: data.submissionID, uploadDigest: data.uploadDigest, reason: data.reason,
            rejectionID: data.rejectionID, entry: data.entry, field: data.field)
        webhook.carriesContact = data.patient != nil || data.message != nil
        return webhook
    }

    private struct Body: Decodable {
        var type: String
        var timestamp: String
        var data: Fields
    }

    /// A key's presence, its value neither read nor kept.
    private struct Present: Decodable {
        init(from decoder: Decoder) throws {}
    }

    // Plain strings, so a value this version does not know reads as nil instead of failing the whole body.
    private struct Fields: Decodable {
        var state: String?
        var priority: String?
        var submissionID: String?
        var uploadDigest: String?
        var reason: String?
        var rejectionID: String?
        var entry: String?
        var field: String?
        var patient: Present?
        var message: Present?

        enum CodingKeys: String, CodingKey {
            case state, priority, reason, entry, field, patient, message
            case submissionID = "submission_id", uploadDigest = "upload_digest", rejectionID = "rejection_id"
        }
    }
}
