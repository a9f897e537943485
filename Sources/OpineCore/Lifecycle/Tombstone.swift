import Crypto
import Foundation

/// What a tombstone (`purge` event) says was removed, stored as its `detail.what`.
public enum PurgedKind: String, Codable, Sendable, CaseIterable {
    /// One stored file of a case (`detail.file`: its neutral `PurgedFileName`, which `case_files.path` keeps;
    /// `detail.sha256`, `detail.size`): `opine verify` accepts it as purged. Never the original path.
    case caseFile = "case_file"
    /// The case's patient fields were scrubbed from the database (`detail.files`: how many files went with them).
    case patientFields = "patient_fields"
    /// A refused upload's quarantine folder (`detail.rejection`, `detail.upload`: the `UploadDigest` of its name,
    /// `detail.sha256` over its files). Never the name: uploads are often named after the patient.
    case rejectedUpload = "rejected_upload"
    /// An upload removed as a duplicate of a case, whose row is scrubbed (`detail.rejection`, `detail.upload`: the
    /// `UploadDigest` of its name); it had no folder.
    case duplicateUpload = "duplicate_upload"
    /// A set-aside folder in `orphaned/` (`detail.folder`: the `UploadDigest` of its name, `detail.sha256` over its
    /// files).
    case orphanedFolder = "orphaned_folder"
    /// Webhook delivery attempts started before `detail.before` (`detail.removed`: how many).
    case deliveryAttempts = "delivery_attempts"
}

extension AuditEvent {
    /// A tombstone: `what` was removed under `rule`, with the facts that identify it (ids, digests of names, SHA-256; never a name).
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

/// The neutral name a purged case file keeps in `case_files.path` and its tombstone: `file-<n>`, with the original's
/// extension when it is a short plain one (`file-2.pdf`). Uploads and bundle files are often named after the patient,
/// and the audit chain can never forget what it was told.
public enum PurgedFileName {
    /// The name of the `index`th (from 1) of a case's files, in path order, originally at `path`.
    public static func of(index: Int, path: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "file-\(index)" }
        let ext = last[last.index(after: dot)...]
        let plain = (1...5).contains(ext.count) && ext.unicodeScalars.allSatisfy { $0.isASCII && CharacterSet.alphanumerics.contains($0) }
        return plain ? "file-\(index).\(ext.lowercased())" : "file-\(index)"
    }
}

extension StudySummary {
    /// What a purged case keeps of its images: the shape of the study (modalities, series descriptions, planes,
    /// counts), without the names and birth dates, the study and series UIDs, the dates or the institution.
    public var purged: StudySummary {
        var summary = self
        summary.patients = []
        summary.studies = studies.map { study in
            var study = study
            study.uid = ""
            study.date = nil
            study.institution = nil
            study.series = study.series.map { series in
                var series = series
                series.uid = ""
                return series
            }
            return study
        }
        return summary
    }
}
