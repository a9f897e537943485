import OpineCore

/// Why `opine pack` made no bundle. Each names the problem and the fix; `kind` decides the exit code.
public struct PackError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as the exit codes in docs/cli.md tell them apart.
    public enum Kind: Sendable, Equatable {
        /// The command line asks for something that cannot work, such as an output name opined never looks at (64).
        case usage
        /// The folder, answers file or report does not exist (66).
        case noInput
        /// The answers, or the files, cannot make a bundle opined accepts (65).
        case invalid
        /// The output already exists or cannot be created (73).
        case cannotCreate
        /// Reading or writing failed (74).
        case io
        /// SIGINT, SIGTERM or SIGHUP arrived before the bundle was named (128 plus the signal: 130, 143, 129).
        case interrupted(Int32)
    }

    /// Which exit code it gets.
    public var kind: Kind
    /// The problem and the fix; no patient data (answers are named by field, never by value).
    public var message: String
    /// The same problem as a value, when the sender can act on it: the upload service says it in a patient's words
    /// (`PackRefusal.patientSentence`) instead of `message`, which speaks of flags and settings.
    public var refusal: PackRefusal?

    /// A failure of `kind` saying `message`.
    public init(_ kind: Kind, _ message: String, refusal: PackRefusal? = nil) {
        self.kind = kind
        self.message = message
        self.refusal = refusal
    }

    /// The message, as printed.
    public var description: String { message }
}
