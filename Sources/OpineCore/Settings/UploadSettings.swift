import Foundation

/// How `opine-upload` runs: where it listens, where it writes, and the limits it holds patients' uploads to. Read
/// from `upload.toml` (`Config/upload.toml` is the commented default) by OpineConfiguration; every value has a sane
/// default except the two directories.
public struct UploadSettings: Sendable, Equatable {
    /// Where the service accepts connections: behind the practice's TLS reverse proxy, never on a public address.
    public enum Listen: Sendable, Equatable, CustomStringConvertible {
        /// A loopback TCP address (`127.0.0.1:8470`).
        case tcp(host: String, port: Int)
        /// A unix socket the proxy connects to (`unix:/run/opine-upload/http.sock`).
        case unix(path: String)

        /// As written in the configuration.
        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    /// Per-address and per-request limits (`[limits]`).
    public struct Limits: Sendable, Equatable {
        /// New requests (drafts) one address may start per hour.
        public var requestsPerHour = 20
        /// Bytes one address may upload per hour.
        public var bytesPerHour: Int64 = 20 << 30
        /// Most files in one request; opined's own `intake.max_files` default.
        public var maxFiles = 5000
        /// Largest single file; opined's `intake.max_file_bytes` default.
        public var maxFileBytes: Int64 = 2 << 30
        /// Largest request (all its files); opined's `intake.max_bundle_bytes` default.
        public var maxRequestBytes: Int64 = 4 << 30
        /// Largest body of one tus PATCH: the page sends chunks of at most this size.
        public var maxChunkBytes: Int64 = 64 << 20
        /// Largest form or JSON body (the answers, a webhook).
        public var maxFormBytes = 256 << 10
        /// Connections open at once, over all addresses; slow clients cannot hold more.
        public var maxConnections = 256
        /// A connection that sends nothing for this long is closed.
        public var idleTimeoutSeconds: Double = 60

        /// The defaults.
        public init() {}
    }

    /// Where to listen.
    public var listen: Listen = .tcp(host: "127.0.0.1", port: 8470)
    /// opined's drop directory (`<spool>/drop`), where finished bundles are renamed in.
    public var dropDirectory: String
    /// The service's own state: drafts, uploads in progress, submissions' status. Uploads in progress and bundles
    /// being built live under `<state>/staging`, which must be on the drop directory's file system so a bundle is
    /// renamed in at once.
    public var stateDirectory: String
    /// The address patients use (`https://opinion.example.org`), used in links the page prints; empty uses the
    /// request's own host.
    public var publicURL = ""
    /// When true, the client address is the last `X-Forwarded-For` entry the proxy added; only behind a proxy.
    public var trustProxy = false
    /// The consent text the patient agrees to, as the practice words it.
    public var consentText = UploadSettings.defaultConsent
    /// The practice's phone number, shown on the page for questions and on refusals.
    public var practicePhone = ""
    /// An upload not finished for this long is removed with its bytes.
    public var uploadExpirySeconds: Double = 24 * 3600
    /// A submission's status is kept (and its link works) for this long after its last change.
    public var statusRetentionSeconds: Double = 90 * 24 * 3600
    /// Secrets (`whsec_…`) opined signs its webhooks to this service with; several during a rotation.
    public var webhookSecrets: [String] = []
    /// Limits.
    public var limits = Limits()
    /// Log level name (trace … critical).
    public var logLevel = "info"
    /// Where the settings came from, for messages.
    public var source: String

    /// Settings with every default, for the two directories given.
    public init(source: String, dropDirectory: String, stateDirectory: String) {
        self.source = source
        self.dropDirectory = dropDirectory
        self.stateDirectory = stateDirectory
    }

    /// Where uploads in progress and bundles being built are kept.
    public var stagingDirectory: String { stateDirectory + "/staging" }

    /// What a patient agrees to unless the practice words it otherwise.
    public static let defaultConsent =
        "I authorize the practice to receive, store and review my medical images and records for a second opinion, and to contact me about it."
}
