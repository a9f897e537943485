import Foundation
import OpineCore
import TOMLKit

/// A raw value for one setting, from the file or from the environment, before validation.
enum RawValue {
    case file(TOMLValueConvertible)
    case environment(String, variable: String)

    var shown: String {
        switch self {
        // A table is not echoed: it may hold a secret someone pasted in by mistake.
        case .file(let value): value.table == nil ? value.debugDescription : "{…}"
        case .environment(let text, _): "\"\(text)\""
        }
    }

    func origin(source: String, key: String) -> String {
        switch self {
        case .file: "\(source): \(key)"
        case .environment(_, let variable): "environment \(variable) (for \(key))"
        }
    }

    var string: String? {
        switch self {
        case .file(let value): value.string
        case .environment(let text, _): text
        }
    }

    var number: Double? {
        switch self {
        case .file(let value): value.double ?? value.int.map(Double.init)
        case .environment(let text, _): Double(text.trimmingCharacters(in: .whitespaces))
        }
    }

    /// Arrays in the file; comma-separated lists in the environment.
    var strings: [String]? {
        switch self {
        case .file(let value):
            guard let array = value.array else { return nil }
            let items = array.compactMap(\.string)
            return items.count == array.count ? items : nil
        case .environment(let text, _):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}

struct SettingProblem: Error {
    var reason = ""
}

/// One configuration key: where it lives in the file, its environment variable, what it accepts.
struct Setting: Sendable {
    var key: String
    var allowed: String
    var required = false
    var apply: @Sendable (RawValue, inout Configuration) throws -> Void

    /// `paths.spool` → `OPINE_PATHS_SPOOL`; `reviewers` → `OPINE_REVIEWERS`.
    var environmentName: String { "OPINE_" + key.uppercased().replacingOccurrences(of: ".", with: "_") }

    static let all: [Setting] = core + turnaroundSettings + retentionSettings + webhookSettings

    static let core: [Setting] = [
        Setting(key: "paths.spool", allowed: "an absolute directory path", required: true) {
            $1.spoolDirectory = try absolutePath($0)
        },
        Setting(key: "paths.state", allowed: "an absolute directory path", required: true) {
            $1.stateDirectory = try absolutePath($0)
        },
        Setting(key: "intake.settle_seconds", allowed: "seconds from 0 to 3600") {
            $1.intake.settleSeconds = try number($0, max: 3600)
        },
        Setting(key: "intake.incomplete_after_hours", allowed: "hours from 0.001 to 720") {
            $1.intake.incompleteAfterSeconds = try number($0, min: 0.001, max: 720) * 3600
        },
        Setting(key: "intake.rescan_seconds", allowed: "seconds from 0.05 to 3600") {
            $1.intake.rescanSeconds = try number($0, min: 0.05, max: 3600)
        },
        Setting(key: "intake.max_bundle_bytes", allowed: "a size such as 4294967296 or \"4 GiB\", from 1 KiB to 1 TiB") {
            $1.intake.maxBundleBytes = try byteSize($0)
        },
        Setting(key: "intake.max_files", allowed: "a whole number from 1 to 100000") {
            $1.intake.maxFiles = Int(try number($0, min: 1, max: 100_000, whole: true))
        },
        Setting(key: "intake.max_file_bytes", allowed: "a size such as 2147483648 or \"2 GiB\", from 1 KiB to 1 TiB") {
            $1.intake.maxFileBytes = try byteSize($0)
        },
        Setting(key: "intake.express_lane_max_bytes", allowed: "a size such as 33554432 or \"32 MiB\", from 1 KiB to 1 TiB") {
            $1.intake.expressLaneMaxBytes = try byteSize($0)
        },
        Setting(key: "intake.supplement_wait", allowed: "a duration such as \"10m\", from 1 s to 7 days") {
            $1.intake.supplementWaitSeconds = try duration($0, min: 1, max: 7 * 86400)
        },
        Setting(key: "logging.level", allowed: LogLevel.allCases.map(\.rawValue).joined(separator: ", ")) {
            guard let text = $0.string, let level = LogLevel(rawValue: text.lowercased()) else { throw SettingProblem() }
            $1.logLevel = level
        },
        Setting(key: "metrics.textfile", allowed: "an absolute file path ending in .prom, or \"\" for none") {
            guard let text = $0.string else { throw SettingProblem() }
            if text.isEmpty { $1.metricsFile = nil; return }
            guard text.hasPrefix("/"), text.hasSuffix(".prom") else { throw SettingProblem() }
            $1.metricsFile = text
        },
        Setting(key: "metrics.interval", allowed: "a duration such as \"30s\", from 1 s to 1 h") {
            $1.metricsInterval = try duration($0, min: 1, max: 3600)
        },
        Setting(key: "workflow.admins", allowed: "a list of login names, such as [\"coordinator\"]") {
            guard let names = $0.strings, names.allSatisfy(isValidName) else { throw SettingProblem() }
            $1.admins = Set(names)
        },
        Setting(
            key: "reviewers",
            allowed: "a table of reviewer id = \"Display Name\" (ids: 1-64 of a-z 0-9 . _ -; in the environment: id=Name;id2=Name2)"
        ) {
            $1.reviewers = try reviewers($0)
        },
    ]

    static func absolutePath(_ value: RawValue) throws -> String {
        guard let text = value.string, text.hasPrefix("/") else { throw SettingProblem() }
        // Trailing slashes would double up when paths are joined.
        var path = text
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    static func number(_ value: RawValue, min: Double = 0, max: Double, whole: Bool = false) throws -> Double {
        guard let number = value.number, number.isFinite else { throw SettingProblem(reason: "not a number") }
        guard number >= min, number <= max else { throw SettingProblem(reason: "out of range") }
        guard !whole || number.rounded() == number else { throw SettingProblem(reason: "not a whole number") }
        return number
    }

    static func byteSize(_ value: RawValue) throws -> Int64 {
        let bytes: Double
        if case .file(let item) = value, let int = item.int {
            bytes = Double(int)
        } else if let text = value.string, let parsed = parseByteSize(text) {
            bytes = parsed
        } else {
            throw SettingProblem(reason: "not a size")
        }
        guard bytes >= 1024, bytes <= 1_099_511_627_776 else { throw SettingProblem(reason: "out of range") }
        return Int64(bytes)
    }

    /// "4 GiB", "512MiB", "1000000" → bytes.
    static func parseByteSize(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("KiB", 1024.0), ("MiB", 1_048_576.0), ("GiB", 1_073_741_824.0), ("TiB", 1_099_511_627_776.0), ("B", 1.0)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            return Double(number).map { $0 * factor }
        }
        return Double(trimmed)
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }

    static func reviewers(_ value: RawValue) throws -> [String: String] {
        var result: [String: String] = [:]
        switch value {
        case .file(let item):
            guard let table = item.table else { throw SettingProblem(reason: "not a table") }
            for key in table.keys {
                guard let name = table[key]?.string else { throw SettingProblem(reason: "\(key) has no display name") }
                result[key] = name
            }
        case .environment(let text, _):
            for pair in text.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw SettingProblem(reason: "'\(pair)' is not id=Name") }
                result[parts[0]] = parts[1]
            }
        }
        if let bad = result.keys.sorted().first(where: { !isValidName($0) }) {
            throw SettingProblem(reason: "'\(bad)' is not a valid reviewer id")
        }
        if let blank = result.first(where: { $0.value.isBlank }) {
            throw SettingProblem(reason: "\(blank.key) has an empty display name")
        }
        return result
    }
}

/// Reads the TOML file into `section.key` → value, so settings can be looked up (and leftovers reported) uniformly.
enum SettingsFile {
    static func flatten(_ text: String, source: String) throws -> [String: RawValue] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                "\(source): line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        var values: [String: RawValue] = [:]
        for key in table.keys {
            guard let value = table[key] else { continue }
            if key == "reviewers" || key == "endpoints" {
                values[key] = .file(value)
            } else if let section = value.table {
                for inner in section.keys {
                    if let item = section[inner] { values["\(key).\(inner)"] = .file(item) }
                }
            } else {
                values[key] = .file(value)
            }
        }
        return values
    }
}
