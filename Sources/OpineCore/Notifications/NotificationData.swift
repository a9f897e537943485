import Foundation

/// The `data` object of a notification, as of the change it announces. It is the minimum other systems need: ids,
/// state, priority, regions, assignee and times — never the patient's name, birth date, contact or free text.
/// (Endpoints allowed to receive contact details get them added at send time, not stored here.)
public struct NotificationData: Codable, Sendable, Equatable {
    /// The case the event is about; nil for `bundle.rejected`.
    public var caseID: String?
    /// The case's state after the change.
    public var state: CaseState?
    /// The case's priority after the change.
    public var priority: Priority?
    /// The spine regions the case concerns.
    public var regions: [String]?
    /// The reviewer assigned at triage, once there is one.
    public var assignee: String?
    /// The upload page's id for the submission; for a rejection, only when the manifest yielded one.
    public var submissionID: String?
    /// When the case was received (RFC 3339).
    public var receivedAt: String?
    /// When the case last changed, which is when this event happened (RFC 3339).
    public var updatedAt: String?
    /// For `bundle.rejected`: the rejection code.
    public var reason: String?
    /// For `bundle.rejected`: the refusal's id (`RejectionID`), as reason.json and `opine rejected` show it.
    public var rejectionID: String?
    /// For `bundle.rejected`: the upload's name digest (`UploadDigest`), as opined's log names the upload.
    public var uploadDigest: String?
    /// For `bundle.rejected`: the file at fault, by its path within the upload, when the refusal concerns one.
    public var entry: String?
    /// For `bundle.rejected`: the manifest field at fault (`files[2].sha256`), when the refusal concerns one.
    public var field: String?
    /// For `case.updated`: the fields the re-send changed (`UpdatedField` codes), never their values.
    public var changed: [UpdatedField]?
    /// For `case.updated` and `case.emergency` after an update: the priority before the change, when it rose.
    public var priorityFrom: Priority?
    /// For a case opened by a re-send of a final case: that case.
    public var relatedCaseID: String?
    /// For `case.overdue` and a re-announced `case.emergency`: the state the case was due to leave.
    public var overdueState: CaseState?
    /// For `case.overdue` and a re-announced `case.emergency`: when it was due in that state (RFC 3339).
    public var dueAt: String?
    /// For `case.amended`: what the addendum amends (`findings` or `letter`).
    public var amended: Addendum.Kind?
    /// For `case.information_requested` and `case.information_reminder`: since when the case waits (RFC 3339).
    public var awaitingSince: String?
    /// What the image checks flagged the case for, as codes (never the names compared); absent when nothing.
    public var flags: [CaseFlag]?

    enum CodingKeys: String, CodingKey {
        case state, priority, regions, assignee, reason, changed
        case caseID = "case_id", submissionID = "submission_id", receivedAt = "received_at", updatedAt = "updated_at"
        case priorityFrom = "priority_from", relatedCaseID = "related_case_id"
        case overdueState = "overdue_state", dueAt = "due_at", amended, awaitingSince = "awaiting_since", flags
        case rejectionID = "rejection_id", uploadDigest = "upload_digest", entry, field
    }

    /// A case notification's data; the store fills it from the case as of the change.
    public init(caseID: String, state: CaseState, priority: Priority, regions: [String], assignee: String?, submissionID: String, receivedAt: String, updatedAt: String) {
        self.caseID = caseID
        self.state = state
        self.priority = priority
        self.regions = regions
        self.assignee = assignee
        self.submissionID = submissionID
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt
    }

    /// A `bundle.rejected` notification's data: what an uploader needs to match the refusal to an upload and fix it
    /// (the code, the refusal's id, the upload's name digest, and the submission id, entry and field when known), and
    /// no patient data.
    public init(
        rejectionCode: String, submissionID: String?, rejectionID: String? = nil, uploadDigest: String? = nil,
        entry: String? = nil, field: String? = nil
    ) {
        reason = rejectionCode
        self.submissionID = submissionID
        self.rejectionID = rejectionID
        self.uploadDigest = uploadDigest
        self.entry = entry
        self.field = field
    }

    /// Compact JSON with sorted keys, as stored in `outbox.data`.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads `outbox.data` back, as `encoded()` wrote it.
    public static func decode(_ text: String) throws -> NotificationData {
        try JSONDecoder().decode(NotificationData.self, from: Data(text.utf8))
    }
}
