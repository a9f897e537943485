/// `opine check-config --json` when the configuration is valid (to stdout).
struct CheckConfigOutput: Encodable {
    /// Always true here; an invalid configuration prints `CheckConfigFailureOutput` instead.
    let valid = true
    /// The file read.
    var source: String
    /// The spool directory (drop, rejected).
    var spool: String
    /// The state directory (database, cases).
    var state: String
    /// The webhook endpoints' names, in configuration order.
    var endpoints: [String]
    /// The reviewers' names, sorted.
    var reviewers: [String]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case valid, source, spool, state, endpoints, reviewers
    }
}

/// `opine check-config --json` when the configuration is invalid (to stderr, exit 78).
struct CheckConfigFailureOutput: Encodable {
    /// Always false.
    let valid = false
    /// The first problem found: code `configuration`, and a message naming the key and what is allowed.
    var error: ErrorOutput.Detail

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case valid, error
    }
}
