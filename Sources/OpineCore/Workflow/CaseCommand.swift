import Crypto
import Foundation

/// A staff member's request: the action, an optional note, the response letter, and who entered it.
public struct CaseCommand: Sendable {
    /// What the staff member asks to do.
    public var action: WorkflowAction
    /// A free-text note for the audit trail; required when triage changes the priority.
    public var note: String?
    /// The response letter, for `respond` (the CLI requires one).
    public var letter: Letter?
    /// The login of an admin who entered this for `actor` (`opine --as`), recorded in the audit trail.
    public var enteredBy: String?

    /// The response letter sent to the patient, kept with the case.
    public struct Letter: Sendable {
        /// The letter's file name (without its folder), shown by `opine show`.
        public var fileName: String
        /// `application/pdf` or `text/plain`, as the CLI tells from the bytes.
        public var mediaType: String
        /// The letter's bytes, stored with the case.
        public var content: Data

        /// Wraps a letter read from a file.
        public init(fileName: String, mediaType: String, content: Data) {
            self.fileName = fileName
            self.mediaType = mediaType
            self.content = content
        }

        /// Recorded in the audit trail, so the letter kept can be proven to be the one sent.
        public var sha256: String { Hex.lowercase(SHA256.hash(data: content)) }
    }

    /// Builds a request; `enteredBy` only when an admin acts for someone else.
    public init(action: WorkflowAction, note: String? = nil, letter: Letter? = nil, enteredBy: String? = nil) {
        self.action = action
        self.note = note
        self.letter = letter
        self.enteredBy = enteredBy
    }
}
