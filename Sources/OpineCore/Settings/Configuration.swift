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

    public var intake = IntakeSettings()
    public var logLevel = LogLevel.info
    /// Reviewer id → display name. Cases can be assigned only to these.
    public var reviewers: [String: String] = [:]
    /// Login names that may act for others (record a review for a case assigned to someone else).
    public var admins: Set<String> = []
    public var webhooks = WebhookSettings()
    /// When set, opined rewrites this file (atomically) with Prometheus metrics, for node_exporter's textfile collector.
    public var metricsFile: String?
    public var metricsInterval = 30.0

    public var dropDirectory: String { spoolDirectory + "/drop" }
    public var rejectedDirectory: String { spoolDirectory + "/rejected" }
    public var databasePath: String { stateDirectory + "/opine.sqlite3" }
    public var casesDirectory: String { stateDirectory + "/cases" }
    public var stagingDirectory: String { stateDirectory + "/staging" }
    /// Store folders that no committed case owned (a crash between copying and committing), kept until proven copies.
    public var orphanedDirectory: String { stateDirectory + "/orphaned" }
    /// Rewritten by opined every few seconds; `opine status` reads it to tell whether the daemon is alive.
    public var heartbeatPath: String { stateDirectory + "/opined.heartbeat" }

    public init(source: String, spoolDirectory: String, stateDirectory: String) {
        self.source = source
        self.spoolDirectory = spoolDirectory
        self.stateDirectory = stateDirectory
    }
}

public struct IntakeSettings: Sendable, Equatable {
    /// A bundle must be unchanged this long before it is taken (unless it was renamed in complete).
    public var settleSeconds = 2.0
    /// A bundle incomplete and unchanged this long is rejected as `incomplete`.
    public var incompleteAfterSeconds = 24.0 * 3600
    /// How often the drop directory is listed in full, in case an inotify event was missed.
    public var rescanSeconds = 30.0
    public var maxBundleBytes: Int64 = 4 << 30
    public var maxFiles = 5000
    public var maxFileBytes: Int64 = 2 << 30

    public init() {}
}

public enum LogLevel: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}

