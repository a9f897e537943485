import Foundation

/// Where notifications go and how hard Opine tries.
public struct WebhookSettings: Sendable, Equatable {
    /// The configured receivers, in name order.
    public var endpoints: [Endpoint] = []
    /// When failed attempts are retried (`webhooks.retry_schedule`, `retry_jitter`).
    public var retry = RetryPolicy.standard
    /// An endpoint failing without a single success for this long is paused: one probe per `probeInterval`
    /// until it answers, so its backlog cannot crowd out the others.
    public var pauseAfter: Double = 3600
    /// Seconds between probes of a paused endpoint (`webhooks.probe_interval`).
    public var probeInterval: Double = 300
    /// The most attempts in flight at once across all endpoints (`webhooks.max_in_flight`).
    public var maxInFlight = 64
    /// The most attempts in flight to any one endpoint (`webhooks.max_in_flight_per_endpoint`).
    public var maxInFlightPerEndpoint = 8
    /// Response bytes read from a receiver; the rest is cut (the status code still counts).
    public var maxResponseBytes = 64 * 1024

    /// No endpoints, and every other setting at its documented default.
    public init() {}

    /// The endpoint configured under this name, if any (for `opine endpoints` and replays).
    public func endpoint(named name: String) -> Endpoint? { endpoints.first { $0.name == name } }

    /// Every endpoint's signer, by endpoint name; the first missing or malformed secret stops with its source named.
    public func loadSigners(environment: [String: String]) throws -> [String: WebhookSigner] {
        var signers: [String: WebhookSigner] = [:]
        for endpoint in endpoints { signers[endpoint.name] = try endpoint.loadSigner(environment: environment) }
        return signers
    }
}

/// One receiver of webhooks, as configured under `[endpoints.<name>]`.
public struct Endpoint: Sendable, Equatable {
    /// The `<name>` of `[endpoints.<name>]`: how deliveries, health and the CLI refer to it.
    public var name: String
    /// Where deliveries are POSTed: https, or http where `allowHTTP` says so.
    public var url: String
    /// Where the `whsec_…` secrets are read from (one of the two); secrets themselves never enter the configuration.
    public var secretFile: String?
    /// The environment variable holding the secrets, when the secret does not come from a file.
    public var secretEnvironment: String?
    /// The notification types this endpoint receives; all of them unless `events` says otherwise.
    public var events: Set<NotificationType> = Set(NotificationType.allCases)
    /// Only the patient-messaging service should get the patient's name, email and phone.
    public var includeContact = false
    /// Plain HTTP is refused unless allowed here (loopback receivers, tests).
    public var allowHTTP = false
    /// Seconds one attempt may take before it counts as a timeout (`timeout`, 15 s by default).
    public var timeout: Double = 15

    /// An endpoint receiving every event over HTTPS, with no secret source set yet.
    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// The URL without user info, query or fragment, for logs and listings (a query may carry a token).
    public var displayURL: String {
        guard var components = URLComponents(string: url) else { return "(invalid url)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(invalid url)"
    }

    /// Reads the secrets (several during a rotation, separated by whitespace) from the file or variable named in
    /// the configuration. Messages name the source, never the secret.
    public func loadSigner(environment: [String: String]) throws -> WebhookSigner {
        let text: String
        let source: String
        if let secretFile {
            source = "secret_file \(secretFile)"
            guard let contents = try? String(contentsOfFile: secretFile, encoding: .utf8) else {
                throw ConfigurationError("endpoint \(name): cannot read \(source); check the path and that opined may read it")
            }
            text = contents
        } else if let secretEnvironment {
            source = "environment variable \(secretEnvironment)"
            guard let value = environment[secretEnvironment] else {
                throw ConfigurationError("endpoint \(name): \(source) (secret_env) is not set")
            }
            text = value
        } else {
            throw ConfigurationError("endpoint \(name): set secret_file or secret_env")
        }
        let secrets = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !secrets.isEmpty else { throw ConfigurationError("endpoint \(name): \(source) holds no secret") }
        do {
            return try WebhookSigner(secrets: secrets)
        } catch {
            throw ConfigurationError("endpoint \(name): \(source): \(error); make one with `opine endpoints new-secret`")
        }
    }
}

