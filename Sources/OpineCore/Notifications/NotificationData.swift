import Foundation

/// The `data` object of a notification, as of the change it announces. It is the minimum other systems need: ids,
/// state, priority, regions, assignee and times — never the patient's name, birth date, contact or free text.
/// (Endpoints allowed to receive contact details get them added at send time, not stored here.)
public struct NotificationData: Codable, Sendable, Equatable {
    public var caseID: String?
    public var state: CaseState?
    public var priority: Priority?
    public var regions: [String]?
    public var assignee: String?
    public var submissionID: String?
    public var receivedAt: String?
    public var updatedAt: String?
    /// For `bundle.rejected`: the rejection code.
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case state, priority, regions, assignee, reason
        case caseID = "case_id", submissionID = "submission_id", receivedAt = "received_at", updatedAt = "updated_at"
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

    public init(rejectionCode: String, submissionID: String?) {
        reason = rejectionCode
        self.submissionID = submissionID
    }

    /// Compact JSON with sorted keys, as stored in `outbox.data`.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> NotificationData {
        try JSONDecoder().decode(NotificationData.self, from: Data(text.utf8))
    }
}
