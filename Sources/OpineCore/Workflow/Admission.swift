import Crypto
import Foundation

/// Why an upload was found to repeat an existing case. Stored in the `duplicate` event's `matched_by`.
public enum MatchReason: String, Codable, Sendable, CaseIterable {
    /// The same `submission_id` was sent again.
    case submissionID = "submission_id"
    /// The same files (paths and SHA-256) under another submission id.
    case content
}

/// What taking a checked bundle means, decided before the store writes anything: a new case's audit event and the
/// notifications it announces, or a duplicate's record.
public enum Admission {
    /// The audit event and the notifications of a newly stored case. An emergency is announced first, ahead of the
    /// routine notice for the same case, so receivers that act on `case.emergency` hear of it at once.
    public static func stored(priority: Priority, fileCount: Int, preamblesZeroed: Int) -> (event: AuditEvent, notifications: [NotificationType]) {
        var detail = ["priority": priority.rawValue, "files": String(fileCount)]
        if preamblesZeroed > 0 { detail["dicom_preambles_zeroed"] = String(preamblesZeroed) }
        let event = AuditEvent(type: .intake, toState: .received, detail: detail)
        return (event, priority == .emergency ? [.caseEmergency, .caseReceived] : [.caseReceived])
    }

    /// The rejection message a duplicate upload is recorded with.
    public static func duplicateMessage(of caseID: String, matchedBy reason: MatchReason) -> String {
        "duplicate of \(caseID) (same \(reason == .content ? "files" : "submission_id")); the upload was removed"
    }

    /// One hash over every file's SHA-256 and path, so the same files re-sent under another submission id are found.
    public static func contentSHA256(_ files: [(path: String, sha256: String)]) -> String {
        let listing = files.sorted { $0.path < $1.path }.map { "\($0.sha256)  \($0.path)\n" }.joined()
        return Hex.lowercase(SHA256.hash(data: Data(listing.utf8)))
    }
}
