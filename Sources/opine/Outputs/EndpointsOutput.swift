import OpineCore
import OpineStore

/// `opine endpoints [list] --json`: each configured endpoint, its health and its backlog.
struct EndpointsOutput: Encodable {
    /// The endpoints, in configuration order.
    var endpoints: [Endpoint]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case endpoints
    }

    /// One endpoint.
    struct Endpoint: Encodable {
        /// The name, as in `[endpoints.NAME]`.
        var name: String
        /// The URL, without any credentials or query it holds.
        var url: String
        /// `active`, `failing`, `paused` or `disabled`.
        var status: EndpointHealth.Status
        /// The event types it receives, sorted.
        var events: [NotificationType]
        /// Whether its events carry the patient's contact details.
        var includeContact: Bool
        /// The last delivery it accepted (ISO 8601, UTC); null if none yet.
        @OrNull var lastSuccessAt: String?
        /// The last failed attempt (ISO 8601, UTC); null if none.
        @OrNull var lastFailureAt: String?
        /// Failed attempts since the last success.
        var failuresInRow: Int
        /// Why it was disabled (its 410 answer); null unless disabled.
        @OrNull var disabledReason: String?
        /// Deliveries waiting for their first attempt.
        var pending: Int
        /// Deliveries failed and waiting for a retry.
        var failed: Int
        /// Deliveries out of attempts (`opine redeliver`).
        var dead: Int

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case name, url, status, events, pending, failed, dead
            case includeContact = "include_contact", lastSuccessAt = "last_success_at", lastFailureAt = "last_failure_at"
            case failuresInRow = "failures_in_row", disabledReason = "disabled_reason"
        }

        /// The endpoint's settings and health as the store summed them up.
        init(_ summary: EndpointSummary) {
            let health = summary.health
            name = summary.endpoint.name
            url = summary.endpoint.displayURL
            status = health.status
            events = summary.endpoint.events.sorted { $0.rawValue < $1.rawValue }
            includeContact = summary.endpoint.includeContact
            lastSuccessAt = health.lastSuccessAt
            lastFailureAt = health.lastFailureAt
            failuresInRow = health.failuresInRow
            disabledReason = health.disabledReason
            pending = summary.pending
            failed = summary.failed
            dead = summary.dead
        }
    }
}

/// `opine endpoints enable NAME --json`: the endpoint and its status now.
struct EndpointEnabledOutput: Encodable {
    /// The endpoint's name.
    var name: String
    /// Its status after enabling: `active`.
    var status: EndpointHealth.Status

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case name, status
    }
}

/// `opine endpoints new-secret --json`: a new signing secret.
struct NewSecretOutput: Encodable {
    /// `whsec_` and 32 random bytes in base64.
    var secret: String

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case secret
    }
}

/// Written as its name (`active`, `failing`, `paused`, `disabled`), like the other states in JSON output.
extension EndpointHealth.Status: Encodable {}
