import Foundation

/// Everything `opined` and `opine` read from `opine.toml` (or its environment overrides), validated.
/// `Config/opine.toml` is the commented reference; `Settings.swift` is the one list of keys both come from.
public struct Configuration: Sendable {
    /// The file it was read from, for messages.
    public var source: String

    /// Holds `drop/` (uploads arrive) and `rejected/` (quarantined uploads with their reasons).
    public var spoolDirectory: String
    /// Holds the database, `cases/` (stored bundles) and `staging/` (bundles being taken).
    public var stateDirectory: String

    /// The `intake.*` settings: how uploads are taken and how large they may be.
    public var intake = IntakeSettings()
    /// How much `opined` logs (`logging.level`).
    public var logLevel = LogLevel.info
    /// Reviewer id → display name. Cases can be assigned only to these.
    public var reviewers: [String: String] = [:]
    /// Login names that may act for others (record a review for a case assigned to someone else).
    public var admins: Set<String> = []
    /// The `webhooks.*` settings and the `[endpoints.<name>]` receivers.
    public var webhooks = WebhookSettings()
    /// When set, opined rewrites this file (atomically) with Prometheus metrics, for node_exporter's textfile collector.
    public var metricsFile: String?
    /// Seconds between rewrites of `metricsFile` (`metrics.interval`).
    public var metricsInterval = 30.0
    /// The `turnaround.*` settings: when each open case is due, and how often an overdue emergency is re-announced.
    public var turnaround = TurnaroundPolicy()
    /// The `retention.*` settings: how long refused uploads, closed cases' files, delivery attempts and set-aside
    /// folders are kept before the purge removes them.
    public var retention = RetentionPolicy()

    /// Where uploads arrive; uploaders write here, and opined removes what it has taken or rejected.
    public var dropDirectory: String { spoolDirectory + "/drop" }
    /// Where rejected uploads are quarantined, each beside its `reason.json`.
    public var rejectedDirectory: String { spoolDirectory + "/rejected" }
    /// The SQLite database: cases, history, rejections, outbox and deliveries.
    public var databasePath: String { stateDirectory + "/opine.sqlite3" }
    /// Stored bundles, one folder per case id.
    public var casesDirectory: String { stateDirectory + "/cases" }
    /// Where bundles are copied and made durable before being renamed into `cases/`.
    public var stagingDirectory: String { stateDirectory + "/staging" }
    /// Store folders that no committed case owned (a crash between copying and committing), kept until proven copies.
    public var orphanedDirectory: String { stateDirectory + "/orphaned" }
    /// Rewritten by opined every few seconds; `opine status` reads it to tell whether the daemon is alive.
    public var heartbeatPath: String { stateDirectory + "/opined.heartbeat" }

    /// A configuration with the required paths and every other setting at its default.
    public init(source: String, spoolDirectory: String, stateDirectory: String) {
        self.source = source
        self.spoolDirectory = spoolDirectory
        self.stateDirectory = stateDirectory
    }
}

/// The `intake.*` settings: when an upload is taken and how large it may be.
public struct IntakeSettings: Sendable, Equatable {
    /// A bundle must be unchanged this long before it is taken (unless it was renamed in complete).
    public var settleSeconds = 2.0
    /// A bundle incomplete and unchanged this long is rejected as `incomplete`.
    public var incompleteAfterSeconds = 24.0 * 3600
    /// How often the drop directory is listed in full, in case an inotify event was missed.
    public var rescanSeconds = 30.0
    /// The most bytes all of a bundle's files may add up to (`intake.max_bundle_bytes`, 4 GiB).
    public var maxBundleBytes: Int64 = 4 << 30
    /// The most files one manifest may list (`intake.max_files`).
    public var maxFiles = 5000
    /// The most bytes one file may have (`intake.max_file_bytes`, 2 GiB).
    public var maxFileBytes: Int64 = 2 << 30
    /// The largest upload the express lane takes unless it is an emergency (`intake.express_lane_max_bytes`,
    /// 32 MiB): small enough that an emergency waits at most for one such upload, large enough for a report and a
    /// few images.
    public var expressLaneMaxBytes: Int64 = 32 << 20
    /// How long a supplement naming a submission that is not a case yet waits in the drop directory for it (its
    /// first upload may still be on its way in, or being copied) before it is quarantined as
    /// `supplement_unknown_case` (`intake.supplement_wait`, 10 minutes).
    public var supplementWaitSeconds = 600.0

    /// The documented defaults.
    public init() {}
}

/// The least severe message that is logged (`logging.level`).
public enum LogLevel: String, Sendable, CaseIterable {
    /// swift-log's levels, from the most verbose to the most severe.
    case trace, debug, info, notice, warning, error, critical
}

/// A configuration that cannot be used, naming the file or variable and the key; at start-up it means exit 78.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The message for the operator.
    public var description: String

    /// Makes an error with its message.
    public init(_ description: String) { self.description = description }
}

