/// What `--json` prints to stderr when a command fails: `{"error":{"code":…,"message":…}}`.
struct ErrorOutput: Encodable {
    /// The failure.
    var error: Detail

    /// The failure's kind, for scripts, and the same message the text output prints.
    struct Detail: Encodable {
        /// What kind of failure; each goes with one exit code (see `Context.classify`).
        var code: ErrorCode
        /// Names the problem and, where there is one, the fix.
        var message: String

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case code, message
        }
    }

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case error
    }
}

/// The `code` of a JSON error: a closed set scripts can switch on.
enum ErrorCode: String, Encodable {
    /// Root against a database the service user owns (exit 77).
    case notPermitted = "not_permitted"
    /// The configuration cannot be read or is invalid (exit 78).
    case configuration
    /// No database at the configured state directory (exit 78).
    case noDatabase = "no_database"
    /// No such case, delivery or endpoint (exit 2).
    case notFound = "not_found"
    /// Someone else changed the case first (exit 3).
    case conflict
    /// The workflow does not allow it, or the actor may not do it (exit 3).
    case refused
    /// Bad arguments or an unreadable input file (exit 64).
    case usage
    /// Stored bytes no longer match their recorded SHA-256 (exit 65).
    case integrity
    /// `opine pack`: the answers or the folder cannot make a bundle opined accepts (exit 65).
    case invalidInput = "invalid_input"
    /// `opine pack`, `opine validate`: the folder, answers file, report or bundle does not exist (exit 66).
    case noInput = "no_input"
    /// `opine pack`: a signal ended it before the bundle was named (exit 128 plus the signal).
    case interrupted
    /// `opine pack`: the output exists already or cannot be created (exit 73).
    case cannotCreate = "cannot_create"
    /// `opine pack`, `opine validate`: reading or writing failed (exit 74).
    case io
    /// A bug or an unexpected database failure (exit 1).
    case `internal`
}
