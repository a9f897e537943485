import Foundation
import OpineConfiguration
@testable import OpineCore
import Testing

@Suite("Loading opine.toml: the shipped defaults, environment overrides, and errors that say what to fix")
struct ConfigurationLoadingTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Config/opine.toml")

    @Test("The shipped configuration loads with its documented defaults")
    func shippedConfiguration() throws {
        let configuration = try Configuration.load(explicitPath: Self.shipped.path, environment: [:])
        #expect(configuration.spoolDirectory == "/var/spool/opine")
        #expect(configuration.dropDirectory == "/var/spool/opine/drop")
        #expect(configuration.databasePath == "/var/lib/opine/opine.sqlite3")
        #expect(configuration.intake == IntakeSettings())
        #expect(configuration.reviewers["dr-patel"] == "Dr. Asha Patel")
        #expect(configuration.webhooks == WebhookSettings(), "the shipped [webhooks] values are the defaults")
        #expect(configuration.turnaround == TurnaroundPolicy(), "the shipped [turnaround] values are the defaults")
    }

    @Test("Due times read the duration syntax, in the file and the environment, and must not shrink step to step")
    func turnaroundSettings() throws {
        let configuration = try Configuration.load(explicitPath: Self.shipped.path, environment: [
            "OPINE_TURNAROUND_URGENT_TRIAGED_WITHIN": "90s", "OPINE_TURNAROUND_EMERGENCY_REANNOUNCE_INTERVAL": "5m",
        ])
        #expect(configuration.turnaround.urgent == .init(triaged: 90, reviewed: 2 * 86400, responded: 3 * 86400))
        #expect(configuration.turnaround.emergencyReannounceInterval == 300)
        let text = try String(contentsOf: Self.shipped, encoding: .utf8)
            .replacingOccurrences(of: "routine_reviewed_within = \"5d\"", with: "routine_reviewed_within = \"12h\"")
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.parse(text, source: "/etc/opine/opine.toml", environment: [:])
        }
        #expect(error?.description.contains("turnaround.routine_reviewed_within is shorter than turnaround.routine_triaged_within") == true)
    }

    @Test("Environment variables override the file")
    func environmentOverrides() throws {
        let configuration = try Configuration.load(explicitPath: Self.shipped.path, environment: [
            "OPINE_PATHS_SPOOL": "/srv/opine/", "OPINE_INTAKE_SETTLE_SECONDS": "0.5", "OPINE_INTAKE_MAX_BUNDLE_BYTES": "1 GiB",
            "OPINE_REVIEWERS": "dr-lee=Dr. Lee;dr-kim=Dr. Kim", "OPINE_WORKFLOW_ADMINS": "alice,bob",
        ])
        #expect(configuration.spoolDirectory == "/srv/opine")
        #expect(configuration.intake.settleSeconds == 0.5)
        #expect(configuration.intake.maxBundleBytes == 1 << 30)
        #expect(configuration.reviewers == ["dr-lee": "Dr. Lee", "dr-kim": "Dr. Kim"])
        #expect(configuration.admins == ["alice", "bob"])
    }

    @Test("A bad setting names the file, the key, the value and what is allowed", arguments: [
        ("settle_seconds = 2", "settle_seconds = -1", "intake.settle_seconds = -1", "seconds from 0 to 3600"),
        ("level = \"info\"", "level = \"loud\"", "logging.level = \"loud\"", "trace, debug"),
        ("spool = \"/var/spool/opine\"", "spool = \"var/spool\"", "paths.spool", "an absolute directory path"),
        ("max_files = 5000", "max_filez = 5000", "unknown setting intake.max_filez", "known settings"),
        ("emergency_triaged_within = \"15m\"", "emergency_triaged_within = \"soon\"", "turnaround.emergency_triaged_within", "365 days"),
        ("[intake]", "[intake", "line", "column"),
    ])
    func badSettings(original: String, replacement: String, mentions: String, allowed: String) throws {
        let text = try String(contentsOf: Self.shipped, encoding: .utf8).replacingOccurrences(of: original, with: replacement)
        do {
            _ = try Configuration.parse(text, source: "/etc/opine/opine.toml", environment: [:])
            Issue.record("accepted \(replacement)")
        } catch let error as ConfigurationError {
            #expect(error.description.hasPrefix("/etc/opine/opine.toml"), "\(error)")
            #expect(error.description.contains(mentions), "\(error)")
            #expect(error.description.contains(allowed), "\(error)")
        }
    }

    @Test("No configuration anywhere says where to put one",
          .enabled(if: !FileManager.default.fileExists(atPath: Configuration.systemPath), "a configuration is installed at /etc/opine"))
    func missingConfiguration() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(explicitPath: nil, environment: ["OPINE_CONFIG": ""])
        }
        #expect(error?.description == "no configuration found: pass --config FILE, set OPINE_CONFIG, or install one at "
            + "/etc/opine/opine.toml (Config/opine.toml is the commented default)")
    }

    @Test("A named configuration file that cannot be read is named, whether from --config or OPINE_CONFIG")
    func unreadableConfiguration() {
        let missing = "/nonexistent-\(UUID().uuidString.prefix(8))/opine.toml"
        for (explicitPath, environment) in [(missing, [:]), (nil, ["OPINE_CONFIG": missing])] as [(String?, [String: String])] {
            let error = #expect(throws: ConfigurationError.self) {
                try Configuration.load(explicitPath: explicitPath, environment: environment)
            }
            #expect(error?.description.hasPrefix(missing + ": cannot be read") == true, "\(error?.description ?? "")")
        }
    }
}
