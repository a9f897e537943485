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

extension Configuration {
    public static let environmentVariable = "OPINE_CONFIG"
    public static let systemPath = "/etc/opine/opine.toml"

    /// Finds the configuration the way the docs say: `--config`, then `$OPINE_CONFIG`, then `/etc/opine/opine.toml`,
    /// then applies `OPINE_*` environment overrides.
    public static func load(
        explicitPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Configuration {
        let path: String
        if let explicitPath {
            path = explicitPath
        } else if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            path = fromEnvironment
        } else if FileManager.default.fileExists(atPath: systemPath) {
            path = systemPath
        } else {
            throw ConfigurationError(
                "no configuration found: pass --config FILE, set \(environmentVariable), or install one at \(systemPath) (Config/opine.toml is the commented default)")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("\(path): cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        return try parse(text, source: path, environment: environment)
    }

    public static func parse(_ text: String, source: String, environment: [String: String]) throws -> Configuration {
        var values = try SettingsFile.flatten(text, source: source)
        for setting in Setting.all {
            if let raw = environment[setting.environmentName] {
                values[setting.key] = .environment(raw, variable: setting.environmentName)
            }
        }
        var configuration = Configuration(source: source, spoolDirectory: "", stateDirectory: "")
        for setting in Setting.all {
            guard let value = values.removeValue(forKey: setting.key) else {
                if setting.required {
                    throw ConfigurationError(
                        "\(source): \(setting.key) is missing: \(setting.allowed) (or set \(setting.environmentName))")
                }
                continue
            }
            do {
                try setting.apply(value, &configuration)
            } catch let problem as SettingProblem {
                throw ConfigurationError(
                    "\(value.origin(source: source, key: setting.key)) = \(value.shown): \(problem.reason.isEmpty ? "" : problem.reason + "; ")allowed: \(setting.allowed)")
            }
        }
        if let unknown = values.keys.sorted().first {
            throw ConfigurationError(
                "\(source): unknown setting \(unknown); known settings: \(Setting.all.map(\.key).filter { $0 != "reviewers" && $0 != "endpoints" }.joined(separator: ", ")), [reviewers] and [endpoints.<name>]")
        }
        if configuration.spoolDirectory == configuration.stateDirectory {
            throw ConfigurationError(
                "\(source): paths.spool and paths.state are both \(configuration.spoolDirectory); they must be different directories")
        }
        return configuration
    }
}
