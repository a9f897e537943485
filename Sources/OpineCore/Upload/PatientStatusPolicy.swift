import Foundation

/// What one of opined's webhooks does to a submission's status, as the patient's status page shows it. Pure: the
/// upload service finds the submission, asks, and writes what comes back.
///
/// Case events set the status from the case's state after the change (`data.state`; by the event type when a body
/// has none), and the emergency flag from `case.emergency` or the case's priority. `bundle.rejected` refuses the
/// submission with the code, the entry or field at fault and the rejection id — unless it names another upload (its
/// `upload_digest` is not this submission's: anyone who may write the drop directory can claim a submission id).
/// An event older than the last one applied never overwrites it (opined sends one case's events in order, but a
/// replay may come late), and a redelivered webhook (the same `webhook-id`) is applied once.
public enum PatientStatusPolicy {
    /// What the service holds of a submission that the decision needs.
    public struct Current: Sendable, Equatable {
        /// The status shown now.
        public var status: PatientStatus
        /// Whether it is shown as an emergency (seen first).
        public var emergency: Bool
        /// `UploadDigest` of the bundle's name in the drop directory.
        public var uploadDigest: String
        /// The last webhook applied, if any.
        public var lastWebhookID: String?
        /// When the last applied event happened at opined, if any.
        public var lastEventAt: Date?

        /// Every field given.
        public init(status: PatientStatus, emergency: Bool, uploadDigest: String, lastWebhookID: String? = nil, lastEventAt: Date? = nil) {
            self.status = status
            self.emergency = emergency
            self.uploadDigest = uploadDigest
            self.lastWebhookID = lastWebhookID
            self.lastEventAt = lastEventAt
        }
    }

    /// Why opined refused the upload, in what the patient's page needs to say what to fix.
    public struct Refusal: Sendable, Equatable {
        /// The rejection code (`checksum_mismatch`, …).
        public var code: String
        /// The file's path within the upload, else the manifest field at fault; nil when opined named neither.
        public var entry: String?
        /// opined's rejection id, for the practice to find the refusal.
        public var rejectionID: String?

        /// Every field given.
        public init(code: String, entry: String?, rejectionID: String?) {
            self.code = code
            self.entry = entry
            self.rejectionID = rejectionID
        }
    }

    /// What to write: the new status and flag, the refusal (nil clears an earlier one), and the event now applied.
    public struct Change: Sendable, Equatable {
        /// The status to show.
        public var status: PatientStatus
        /// Whether to show it as an emergency.
        public var emergency: Bool
        /// For `refused`, why; nil otherwise.
        public var refusal: Refusal?
        /// The webhook now applied.
        public var webhookID: String
        /// When its event happened at opined.
        public var eventAt: Date
    }

    /// Why a webhook changes nothing.
    public enum Ignored: String, Sendable, Equatable {
        /// The same `webhook-id` was applied last: a redelivery.
        case duplicate
        /// The event happened before the last one applied, or at the same time with an earlier status.
        case older
        /// An event that says nothing about the status (or one this version does not know).
        case notAboutStatus = "not_about_status"
        /// A refusal of an upload that is not this submission's bundle.
        case otherUpload = "other_upload"
    }

    /// The decision on one webhook.
    public enum Decision: Sendable, Equatable {
        /// Write this change.
        case apply(Change)
        /// Leave the record as it is.
        case ignore(Ignored)
    }

    /// Decides what `webhook` does to a submission in state `current`.
    public static func decide(_ webhook: StatusWebhook, current: Current) -> Decision {
        if webhook.id == current.lastWebhookID { return .ignore(.duplicate) }
        if let last = current.lastEventAt, webhook.timestamp < last { return .ignore(.older) }
        guard let type = webhook.type else { return .ignore(.notAboutStatus) }
        let change: Change
        if type == .bundleRejected {
            if let digest = webhook.uploadDigest, digest != current.uploadDigest { return .ignore(.otherUpload) }
            let refusal = Refusal(code: webhook.reason ?? "unknown", entry: webhook.entry ?? webhook.field, rejectionID: webhook.rejectionID)
            change = Change(status: .refused, emergency: current.emergency, refusal: refusal, webhookID: webhook.id, eventAt: webhook.timestamp)
        } else {
            guard let status = webhook.caseState.map(status(of:)) ?? status(announcedBy: type) else { return .ignore(.notAboutStatus) }
            let emergency = type == .caseEmergency || (webhook.priority.map { $0 == .emergency } ?? current.emergency)
            change = Change(status: status, emergency: emergency, refusal: nil, webhookID: webhook.id, eventAt: webhook.timestamp)
        }
        if let last = current.lastEventAt, webhook.timestamp == last, rank(change.status) < rank(current.status) {
            return .ignore(.older)
        }
        return .apply(change)
    }

    /// The status a case in `state` shows.
    public static func status(of state: CaseState) -> PatientStatus {
        switch state {
        case .received: .received
        case .triaged, .reviewed: .beingReviewed
        case .awaitingInformation: .moreInformationRequested
        case .responded: .answered
        case .withdrawn: .withdrawn
        }
    }

    /// The status an event announces when its body has no state; nil for events that announce none.
    static func status(announcedBy type: NotificationType) -> PatientStatus? {
        switch type {
        case .caseReceived, .caseEmergency: .received
        case .caseTriaged, .caseReviewed: .beingReviewed
        case .caseInformationRequested: .moreInformationRequested
        case .caseResponded: .answered
        case .caseWithdrawn: .withdrawn
        case .bundleRejected, .caseUpdated, .caseInformationReminder, .caseAmended, .caseOverdue: nil
        }
    }

    /// How far along a status is, to order two events of the same instant.
    static func rank(_ status: PatientStatus) -> Int {
        switch status {
        case .sent: 0
        case .received, .refused: 1
        case .beingReviewed: 2
        case .moreInformationRequested: 3
        case .answered, .withdrawn: 4
        }
    }
}

extension PatientStatusPolicy {
    /// Whether a submission whose status last changed at `updatedAt` is past `uploads.status_kept_days` (`keptFor`
    /// seconds): its record and status link are then removed.
    public static func isExpired(updatedAt: Date, now: Date, keptFor: TimeInterval) -> Bool {
        now.timeIntervalSince(updatedAt) > keptFor
    }
}
