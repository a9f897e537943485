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
        /// For a duplicate, the case it repeats; otherwise null.
        @OrNull var duplicateOf: String?
        /// The folder holding the quarantined upload and its reason.json; null for duplicates (removed).
        @OrNull var quarantine: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case id, at, upload, code, message, quarantine
            case submissionID = "submission_id", duplicateOf = "duplicate_of", uploadDigest = "upload_digest"
        }

        /// The rejection as the store keeps it; `rejectedDirectory` is the spool's `rejected/` folder.
        init(_ row: RejectionRecord, rejectedDirectory: String) {
            id = row.id ?? 0
            at = row.at
            upload = row.uploadName
            uploadDigest = UploadDigest.of(displayedName: row.uploadName)
            code = row.code
            message = row.message
            submissionID = row.submissionID
            duplicateOf = row.duplicateOf
            quarantine = row.quarantine.map { rejectedDirectory + "/" + $0 }
        }
    }
}
