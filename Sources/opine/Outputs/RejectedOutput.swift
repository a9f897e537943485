import OpineCore
import OpineStore

/// `opine rejected --json`: uploads that did not become cases, newest first.
struct RejectedOutput: Encodable {
    /// One page of rejections.
    var rejections: [Rejection]
    /// The `--offset` that shows the next page; null on the last page.
    @OrNull var nextOffset: Int?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case rejections
        case nextOffset = "next_offset"
    }

    /// One quarantined upload, or one removed as a duplicate.
    struct Rejection: Encodable {
        /// The rejection's number.
        var id: Int64
        /// The refusal's id, as the `bundle.rejected` webhook and reason.json give it; null for a duplicate or a
        /// refusal recorded before rejection ids existed.
        @OrNull var rejectionID: String?
        /// When intake rejected it (ISO 8601, UTC).
        var at: String
        /// The upload's name in the drop directory, escaped for display.
        var upload: String
        /// The first 12 hexadecimal digits of the SHA-256 of `upload`: how opined's log names the upload.
        var uploadDigest: String
        /// Why: a rejection code such as `manifest_invalid_json`, or `duplicate`.
        var code: String
        /// The reason in words.
        var message: String
        /// The manifest's submission id; null when it could not be read.
        @OrNull var submissionID: String?
        /// The file at fault, by its path within the upload; null when the refusal concerns no one file.
        @OrNull var entry: String?
        /// The manifest field at fault (`files[2].sha256`); null when none is.
        @OrNull var field: String?
        /// For a duplicate, the case it repeats; otherwise null.
        @OrNull var duplicateOf: String?
        /// The folder holding the quarantined upload and its reason.json; null for duplicates (removed).
        @OrNull var quarantine: String?
        /// When the purge removed the quarantine folder (`retention.rejected_uploads`); null while it is kept.
        @OrNull var purgedAt: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case id, at, upload, code, message, quarantine, entry, field
            case rejectionID = "rejection_id"
            case purgedAt = "purged_at"
            case submissionID = "submission_id", duplicateOf = "duplicate_of", uploadDigest = "upload_digest"
        }

        /// The rejection as the store keeps it; `rejectedDirectory` is the spool's `rejected/` folder.
        init(_ row: RejectionRecord, rejectedDirectory: String) {
            id = row.id ?? 0
            rejectionID = row.publicID
            entry = row.entry
            field = row.field
            at = row.at
            upload = row.uploadName
            uploadDigest = UploadDigest.of(displayedName: row.uploadName)
            code = row.code
            message = row.message
            submissionID = row.submissionID
            duplicateOf = row.duplicateOf
            quarantine = row.quarantine.map { rejectedDirectory + "/" + $0 }
            purgedAt = row.purgedAt
        }

        /// What the text table's FAULT column shows: the entry and the field at fault, or `-`.
        static func fault(_ row: RejectionRecord) -> String {
            let parts = [row.entry, row.field].compactMap { $0 }
            return parts.isEmpty ? "-" : parts.joined(separator: " ")
        }
    }
}
