import OpineCore
import OpineStore

/// `opine note --json`: the note recorded.
struct NoteOutput: Encodable {
    /// The case id.
    var id: String
    /// The audit event's number (as in `opine history`).
    var event: Int64
    /// Who wrote the note.
    var actor: String
    /// When (ISO 8601, UTC).
    var at: String

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, event, actor, at
    }
}

/// `opine letter CASE --json`: the case's letters, without their bytes.
struct LettersOutput: Encodable {
    /// The case id.
    var id: String
    /// The letters in the order they were stored; `index` is what `--index` takes.
    var letters: [CaseDetailOutput.Letter]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, letters
    }
}

/// `opine letter CASE --out FILE --json`: what was written.
struct LetterWrittenOutput: Encodable {
    /// The case id.
    var id: String
    /// The letter's number.
    var index: Int
    /// The file written.
    var file: String
    /// Bytes written.
    var size: Int64
    /// Their SHA-256, checked against the stored one.
    var sha256: String

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, index, file, size, sha256
    }
}

/// `opine export --json`: the folder made.
struct ExportOutput: Encodable {
    /// The case id.
    var id: String
    /// The folder written: `<--to>/<case id>`.
    var folder: String
    /// Files copied and checked.
    var files: Int
    /// Bytes copied.
    var bytes: Int64

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, folder, files, bytes
    }
}

/// `opine find --json`: matching cases, newest first.
struct FindOutput: Encodable {
    /// One page of matches.
    var cases: [Match]
    /// The `--offset` that shows the next page; null on the last page.
    @OrNull var nextOffset: Int?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case cases
        case nextOffset = "next_offset"
    }

    /// A case summary (as in `opine list`) and what matched.
    struct Match: Encodable {
        /// The case as `opine list` shows it.
        var summary: CaseSummaryOutput
        /// The field that matched.
        var matchedBy: SearchField

        /// JSON keys: the summary's, and `matched_by`.
        enum CodingKeys: String, CodingKey {
            case matchedBy = "matched_by"
        }

        /// The summary's keys and `matched_by`, in one object.
        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(matchedBy, forKey: .matchedBy)
        }
    }
}
