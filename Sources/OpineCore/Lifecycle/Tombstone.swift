import Crypto
import Foundation

/// What a tombstone (`purge` event) says was removed, stored as its `detail.what`.
public enum PurgedKind: String, Codable, Sendable, CaseIterable {
    /// One stored file of a case (`detail.path`, `detail.sha256`): `opine verify` accepts it as purged.
    case caseFile = "case_file"
    /// The case's patient fields were scrubbed from the database (`detail.files`: how many files went with them).
    case patientFields = "patient_fields"
    /// A refused upload's quarantine folder (`detail.rejection`, `detail.folder`, `detail.sha256` over its files).
    case rejectedUpload = "rejected_upload"
    /// A set-aside folder in `orphaned/` (`detail.folder`, `detail.sha256` over its files).
    case orphanedFolder = "orphaned_folder"
    /// Webhook delivery attempts started before `detail.before` (`detail.removed`: how many).
    case deliveryAttempts = "delivery_attempts"
}

extension AuditEvent {
    /// A tombstone: `what` was removed under `rule`, with the facts that identify it (paths, ids, SHA-256).
    public static func tombstone(_ what: PurgedKind, rule: RetentionRule, _ detail: [String: String] = [:]) -> AuditEvent {
        AuditEvent(type: .purge, detail: detail.merging(["what": what.rawValue, "rule": rule.rawValue]) { old, _ in old })
    }
}

/// A SHA-256 over a folder's files, so a tombstone names exactly what a removed folder held: the digest of the
/// sorted lines `<sha256> <size> <path>`. The edge that reads the files hashes each; this combines them.
public enum FolderDigest {
    /// The folder's digest from its files (relative path, SHA-256, size), in any order.
    public static func of(_ files: [(path: String, sha256: String, size: Int64)]) -> String {
        let listing = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
            .map { "\($0.sha256) \($0.size) \($0.path)\n" }.joined()
        return Hex.lowercase(SHA256.hash(data: Data(listing.utf8)))
    }
}
