import Foundation
import OpineCore

/// One `upload.toml` key: where it lives, its `OPINE_UPLOAD_*` variable, what it accepts.
struct UploadSetting: Sendable {
    var key: String
    var allowed: String
    var required = false
    var apply: @Sendable (RawValue, inout UploadSettings) throws -> Void

    /// `paths.drop` → `OPINE_UPLOAD_PATHS_DROP`.
    var environmentName: String { "OPINE_UPLOAD_" + key.uppercased().replacingOccurrences(of: ".", with: "_") }

    static let all: [UploadSetting] = [
        UploadSetting(key: "listen.address", allowed: "host:port on a loopback address (or, for a proxy on another host, a private one), or unix:/absolute/path") {
            $1.listen = try listen($0)
        },
        UploadSetting(key: "paths.drop", allowed: "an absolute directory path (opined's <spool>/drop)", required: true) {
            $1.dropDirectory = try Setting.absolutePath($0)
        },
        UploadSetting(key: "paths.state", allowed: "an absolute directory path on the drop directory's file system", required: true) {
            $1.stateDirectory = try Setting.absolutePath($0)
        },
        UploadSetting(key: "page.public_url", allowed: "an https:// address, or \"\" for the request's own") { $1.publicURL = try publicURL($0) },
        UploadSetting(key: "page.consent_text", allowed: "text of 20 to 4000 characters") { $1.consentText = try text($0, 20...4000) },
        UploadSetting(key: "page.practice_phone", allowed: "a phone number of at most 40 characters, or \"\"") {
            $1.practicePhone = try text($0, 0...40)
        },
        UploadSetting(key: "proxy.trust_forwarded_for", allowed: "true or false") { $1.trustProxy = try flag($0) },
        UploadSetting(key: "uploads.expire_after_hours", allowed: "hours from 0.001 to 720") {
            $1.uploadExpirySeconds = try Setting.number($0, min: 0.001, max: 720) * 3600
        },
        UploadSetting(key: "uploads.status_kept_days", allowed: "days from 1 to 3650") {
            $1.statusRetentionSeconds = try Setting.number($0, min: 1, max: 3650) * 86400
        },
        UploadSetting(key: "webhook.secret_file", allowed: "an absolute path of a file holding whsec_… secrets") {
            $1.webhookSecrets = try secrets(fromFile: Setting.absolutePath($0))
        },
        UploadSetting(key: "limits.requests_per_hour", allowed: "a whole number from 1 to 100000") {
            $1.limits.requestsPerHour = Int(try Setting.number($0, min: 1, max: 100_000, whole: true))
        },
        UploadSetting(key: "limits.bytes_per_hour", allowed: "a size such as \"20 GiB\"") { $1.limits.bytesPerHour = try Setting.byteSize($0) },
        UploadSetting(key: "limits.max_files", allowed: "a whole number from 1 to 100000") {
            $1.limits.maxFiles = Int(try Setting.number($0, min: 1, max: 100_000, whole: true))
        },
        UploadSetting(key: "limits.max_file_bytes", allowed: "a size such as \"2 GiB\"") { $1.limits.maxFileBytes = try Setting.byteSize($0) },
        UploadSetting(key: "limits.max_request_bytes", allowed: "a size such as \"4 GiB\"") { $1.limits.maxRequestBytes = try Setting.byteSize($0) },
        UploadSetting(key: "limits.max_chunk_bytes", allowed: "a size from 64 KiB to 1 GiB") {
            $1.limits.maxChunkBytes = try Setting.byteSize($0)
            guard (65536...(1 << 30)).contains($1.limits.maxChunkBytes) else { throw SettingProblem(reason: "out of range") }
        },
        UploadSetting(key: "limits.max_connections", allowed: "a whole number from 8 to 65536") {
            $1.limits.maxConnections = Int(try Setting.number($0, min: 8, max: 65536, whole: true))
        },
        UploadSetting(key: "limits.idle_timeout_seconds", allowed: "seconds from 1 to 3600") {
            $1.limits.idleTimeoutSeconds = try Setting.number($0, min: 1, max: 3600)
        },
        UploadSetting(key: "logging.level", allowed: "trace, debug, info, notice, warning, error or critical") {
            guard let level = $0.string, ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
                throw SettingProblem()
            }
            $1.logLevel = level
        },
    ]

    static func listen(_ value: RawValue) throws -> UploadSettings.Listen {
        guard let text = value.string else { throw SettingProblem() }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.utf8.count < 100 else { throw SettingProblem(reason: "a unix socket needs an absolute path under 100 bytes") }
            return .unix(path: path)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw SettingProblem(reason: "no port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw SettingProblem(reason: "no host") }
        guard isLoopbackOrPrivate(host) else {
            throw SettingProblem(reason: "the service must not face the internet itself: listen on a loopback address behind the TLS proxy (a proxy on another host: a private address)")
        }
        return .tcp(host: host, port: port)
    }

    /// `localhost`, 127.0.0.0/8, `::1`, or a private address (10/8, 172.16/12, 192.168/16, fc00::/7); never a wildcard.
    static func isLoopbackOrPrivate(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" { return true }
        if lower.hasPrefix("fc") || lower.hasPrefix("fd") { return lower.contains(":") }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard octets.count == 4, octets.allSatisfy({ $0.map { (0...255).contains($0) } ?? false }) else { return false }
        let (a, b) = (octets[0]!, octets[1]!)
        return a == 127 || a == 10 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
    }

    static func publicURL(_ value: RawValue) throws -> String {
        guard var text = value.string else { throw SettingProblem() }
        while text.hasSuffix("/") { text.removeLast() }
        guard text.isEmpty || (text.hasPrefix("https://") || text.hasPrefix("http://localhost") || text.hasPrefix("http://127.0.0.1")),
            text.isEmpty || URL(string: text)?.host != nil
        else { throw SettingProblem(reason: "patients' pages must be served over https") }
        return text
    }

    static func text(_ value: RawValue, _ range: ClosedRange<Int>) throws -> String {
        guard let text = value.string?.trimmingCharacters(in: .whitespacesAndNewlines), range.contains(text.count) else {
            throw SettingProblem(reason: "wrong length")
        }
        return text
    }

    static func flag(_ value: RawValue) throws -> Bool {
        switch value {
        case .file(let item): if let flag = item.bool { return flag }
        case .environment(let text, _): if let flag = ["true": true, "false": false][text.lowercased()] { return flag }
        }
        throw SettingProblem()
    }

    static func secrets(fromFile path: String) throws -> [String] {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SettingProblem(reason: "cannot read \(path); check the path and that opine-upload may read it")
        }
        let secrets = contents.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !secrets.isEmpty, (try? WebhookSigner(secrets: secrets)) != nil else {
            throw SettingProblem(reason: "the file must hold whsec_… secrets (make one with `opine endpoints new-secret`)")
        }
        return secrets
    }
}

extension UploadSettings {
    /// Names the configuration file when no `--config` is given.
    public static let environmentVariable = "OPINE_UPLOAD_CONFIG"
    /// Where the installed configuration lives.
    public static let systemPath = "/etc/opine/upload.toml"

    /// Finds the configuration as the docs say (`--config`, `$OPINE_UPLOAD_CONFIG`, `/etc/opine/upload.toml`), then
    /// applies the `OPINE_UPLOAD_*` overrides and validates every key, refusing unknown ones.
    public static func load(explicitPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> UploadSettings {
        let path: String
        if let explicitPath {
            path = explicitPath
        } else if let named = environment[environmentVariable], !named.isEmpty {
            path = named
        } else if FileManager.default.fileExists(atPath: systemPath) {
            path = systemPath
        } else {
            throw ConfigurationError(
                "no configuration found: pass --config FILE, set \(environmentVariable), or install one at \(systemPath) (Config/upload.toml is the commented default)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("\(path): cannot be read as UTF-8 text; check the path and its permissions")
        }
        return try parse(text, source: path, environment: environment)
    }

    /// Reads TOML text with the `OPINE_UPLOAD_*` overrides in `environment`; `source` names the file in messages.
    public static func parse(_ text: String, source: String, environment: [String: String]) throws -> UploadSettings {
        var values = try SettingsFile.flatten(text, source: source)
        for setting in UploadSetting.all {
            if let raw = environment[setting.environmentName] { values[setting.key] = .environment(raw, variable: setting.environmentName) }
        }
        var settings = UploadSettings(source: source, dropDirectory: "", stateDirectory: "")
        for setting in UploadSetting.all {
            guard let value = values.removeValue(forKey: setting.key) else {
                if setting.required {
                    throw ConfigurationError("\(source): \(setting.key) is missing: \(setting.allowed) (or set \(setting.environmentName))")
                }
                continue
            }
            do { try setting.apply(value, &settings) } catch let problem as SettingProblem {
                throw ConfigurationError(
                    "\(value.origin(source: source, key: setting.key)) = \(value.shown): \(problem.reason.isEmpty ? "" : problem.reason + "; ")allowed: \(setting.allowed)")
            }
        }
        if let unknown = values.keys.sorted().first {
            throw ConfigurationError("\(source): unknown setting \(unknown); known settings: \(UploadSetting.all.map(\.key).joined(separator: ", "))")
        }
        if settings.limits.maxFileBytes > settings.limits.maxRequestBytes {
            throw ConfigurationError("\(source): limits.max_file_bytes is larger than limits.max_request_bytes; lower it or raise max_request_bytes")
        }
        if settings.dropDirectory == settings.stateDirectory {
            throw ConfigurationError("\(source): paths.drop and paths.state are both \(settings.dropDirectory); they must be different directories")
        }
        return settings
    }
}
