import Crypto
import Foundation

/// A staff member's request: the action, an optional note, the response letter, and who entered it.
public struct CaseCommand: Sendable {
    public var action: WorkflowAction
    public var note: String?
    public var letter: Letter?
    /// The login of an admin who entered this for `actor` (`opine --as`), recorded in the audit trail.
    public var enteredBy: String?

    /// The response letter sent to the patient, kept with the case.
    public struct Letter: Sendable {
        public var fileName: String
        public var mediaType: String
        public var content: Data

        public init(fileName: String, mediaType: String, content: Data) {
            self.fileName = fileName
            self.mediaType = mediaType
            self.content = content
        }

        /// Recorded in the audit trail, so the letter kept can be proven to be the one sent.
        public var sha256: String { Hex.lowercase(SHA256.hash(data: content)) }
    }

    public init(action: WorkflowAction, note: String? = nil, letter: Letter? = nil, enteredBy: String? = nil) {
        self.action = action
        self.note = note
        self.letter = letter
        self.enteredBy = enteredBy
    }
}
