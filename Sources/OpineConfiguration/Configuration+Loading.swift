import Foundation
import OpineCore

extension Configuration {
    /// Names the configuration file when no `--config` is given.
    public static let environmentVariable = "OPINE_CONFIG"
    /// Where the installed configuration lives, used when neither `--config` nor `$OPINE_CONFIG` names one.
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

    /// Reads TOML text, applies the `OPINE_*` overrides in `environment` and validates every key, refusing unknown
    /// ones; `source` names the file in messages.
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
        if let problem = configuration.turnaround.problem {
            throw ConfigurationError("\(source): \(problem)")
        }
        if configuration.spoolDirectory == configuration.stateDirectory {
            throw ConfigurationError(
                "\(source): paths.spool and paths.state are both \(configuration.spoolDirectory); they must be different directories")
        }
        return configuration
    }
}
