import Crypto
import Foundation
import OpineCore

/// What the status tests need of the service: a submission's state files planted the way its SubmissionBook writes
/// them, and webhooks signed as opined signs them.
extension UploadServer {
    /// A submission as the service's SubmissionBook stores it (`submissions/ID.json`, `tokens/SHA256(TOKEN)`,
    /// `digests/DIGEST`): the state a submit leaves, planted so the status tests need no upload.
    struct Planted {
        var submissionID: String
        var bundleName: String
        var token: String
        var reference = "7K3M-9Q2D"
        var emergency = false
        var status = PatientStatus.sent
        var updatedAt = Date()
        /// For `refused`: what opined's `bundle.rejected` left in the record.
        var refusal: Refusal?
        var digest: String { UploadDigest.of(bundleName) }
    }

    /// A refusal as the record keeps it.
    struct Refusal {
        var code: String
        var entry: String
        var rejectionID: String
    }

    /// Writes `planted`'s record, status link and digest into the service's state folder.
    func plant(_ planted: Planted) throws {
        var record: [String: Any] = [
            "submissionID": planted.submissionID, "reference": planted.reference, "bundleName": planted.bundleName,
            "uploadDigest": planted.digest, "emergency": planted.emergency, "status": planted.status.rawValue,
            "submittedAt": Self.iso(planted.updatedAt), "updatedAt": Self.iso(planted.updatedAt),
        ]
        if let refusal = planted.refusal {
            record.merge(["refusalCode": refusal.code, "refusalEntry": refusal.entry, "rejectionID": refusal.rejectionID]) { _, new in new }
        }
        for folder in ["submissions", "tokens", "digests"] {
            try FileManager.default.createDirectory(at: state.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            .write(to: state.appendingPathComponent("submissions/\(planted.submissionID).json"))
        let tokenHash = SHA256.hash(data: Data(planted.token.utf8)).map { String(format: "%02x", $0) }.joined()
        try Data(planted.submissionID.utf8).write(to: state.appendingPathComponent("tokens/" + tokenHash))
        try Data(planted.submissionID.utf8).write(to: state.appendingPathComponent("digests/" + planted.digest))
    }

    /// Posts `body` to `/hooks/opine` with Standard Webhooks headers signed with `secrets` at `timestamp`.
    func postWebhook(
        _ body: Data, id: String = "msg_\(UUID().uuidString.prefix(12))", secrets: [String] = [Receiver.secret], timestamp: Date = Date()
    ) throws -> HTTPReply {
        let seconds = Int(timestamp.timeIntervalSince1970)
        let headers = [
            "Content-Type": "application/json", "webhook-id": id, "webhook-timestamp": "\(seconds)",
            "webhook-signature": try WebhookSigner(secrets: secrets).signature(id: id, timestamp: seconds, body: body),
        ]
        return try request("POST", "/hooks/opine", headers: headers, body: Array(body))
    }

    private static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle()) }
}
