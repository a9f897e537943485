import Foundation
import OpineCore
import TOMLKit

extension Setting {
    static let webhookSettings: [Setting] = [
        Setting(key: "webhooks.retry_schedule", allowed: "a list of 1 to 30 waits such as [\"5s\", \"5m\", \"2h\"], each 0.05 s to 7 days") {
            guard let items = $0.strings, (1...30).contains(items.count) else { throw SettingProblem() }
            $1.webhooks.retry.schedule = try items.map { item in
                guard let seconds = parseDuration(item), seconds >= 0.05, seconds <= 7 * 86400 else {
                    throw SettingProblem(reason: "\"\(item)\" is not a duration in range")
                }
                return seconds
            }
        },
        Setting(key: "webhooks.retry_jitter", allowed: "a fraction from 0 to 0.5") {
            $1.webhooks.retry.jitter = try number($0, max: 0.5)
        },
        Setting(key: "webhooks.pause_after", allowed: "a duration such as \"1h\", from 1 s to 30 days") {
            $1.webhooks.pauseAfter = try duration($0, min: 1, max: 30 * 86400)
        },
        Setting(key: "webhooks.probe_interval", allowed: "a duration such as \"5m\", from 0.05 s to 1 day") {
            $1.webhooks.probeInterval = try duration($0, min: 0.05, max: 86400)
        },
        Setting(key: "webhooks.max_in_flight", allowed: "a whole number from 1 to 1000") {
            $1.webhooks.maxInFlight = Int(try number($0, min: 1, max: 1000, whole: true))
        },
        Setting(key: "webhooks.max_in_flight_per_endpoint", allowed: "a whole number from 1 to 100") {
            $1.webhooks.maxInFlightPerEndpoint = Int(try number($0, min: 1, max: 100, whole: true))
        },
        Setting(key: "webhooks.max_response_bytes", allowed: "a size such as \"64 KiB\", from 1 KiB to 16 MiB") {
            let bytes = try byteSize($0)
            guard bytes <= 16 << 20 else { throw SettingProblem(reason: "out of range") }
            $1.webhooks.maxResponseBytes = Int(bytes)
        },
        Setting(key: "endpoints", allowed: "tables [endpoints.<name>] with url, secret_file or secret_env, and optionally events, include_contact, allow_http, timeout") {
            $1.webhooks.endpoints = try endpoints($0)
        },
    ]

    /// "250ms", "5s", "5m", "2h", "1d", or a number of seconds.
    static func parseDuration(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            if let value = Double(number), value.isFinite { return value * factor }
        }
        return Double(trimmed).flatMap { $0.isFinite ? $0 : nil }
    }

    static func duration(_ value: RawValue, min: Double, max: Double) throws -> Double {
        let seconds: Double?
        if case .file(let item) = value, item.string == nil { seconds = value.number } else { seconds = value.string.flatMap(parseDuration) }
        guard let seconds else { throw SettingProblem(reason: "not a duration") }
        guard seconds >= min, seconds <= max else { throw SettingProblem(reason: "out of range") }
        return seconds
    }

    /// Every `[endpoints.<name>]` table, in name order.
    static func endpoints(_ value: RawValue) throws -> [Endpoint] {
        guard case .file(let item) = value else {
            throw SettingProblem(reason: "endpoints are configured only in the file (secrets can come from secret_env)")
        }
        guard let table = item.table else { throw SettingProblem(reason: "not a table") }
        return try table.keys.sorted().map { name in
            guard isValidName(name) else { throw SettingProblem(reason: "'\(name)' is not a valid endpoint name (1-64 of a-z 0-9 . _ -)") }
            guard let fields = table[name]?.table else { throw SettingProblem(reason: "endpoints.\(name) is not a table") }
            return try endpoint(name, fields)
        }
    }

    private static func endpoint(_ name: String, _ fields: TOMLTable) throws -> Endpoint {
        func problem(_ text: String) -> SettingProblem { SettingProblem(reason: "endpoints.\(name): \(text)") }
        guard let url = fields["url"]?.string else { throw problem("url is missing") }
        var endpoint = Endpoint(name: name, url: url)
        for key in fields.keys {
            try apply(key, fields[key]!, to: &endpoint, problem: problem)
        }
        guard (endpoint.secretFile == nil) != (endpoint.secretEnvironment == nil) else {
            throw problem("set exactly one of secret_file and secret_env")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else { throw problem("url \"\(url)\" is not an absolute http(s) URL") }
        guard scheme == "https" || (scheme == "http" && endpoint.allowHTTP) else {
            throw problem(scheme == "http" ? "plain http is refused; use https, or set allow_http = true for a loopback receiver" : "url must use https")
        }
        return endpoint
    }

    /// One key of an endpoint's table.
    private static func apply(
        _ key: String, _ field: TOMLValueConvertible, to endpoint: inout Endpoint, problem: (String) -> SettingProblem
    ) throws {
        switch key {
        case "url": break
        case "secret_file":
            guard let path = field.string, path.hasPrefix("/") else { throw problem("secret_file must be an absolute path") }
            endpoint.secretFile = path
        case "secret_env":
            guard let variable = field.string, !variable.isEmpty else { throw problem("secret_env must name an environment variable") }
            endpoint.secretEnvironment = variable
        case "events":
            guard let list = RawValue.file(field).strings, !list.isEmpty else { throw problem("events must be a non-empty list") }
            endpoint.events = Set(try list.map { event in
                guard let type = NotificationType(rawValue: event) else {
                    throw problem("unknown event \"\(event)\"; events are \(NotificationType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return type
            })
        case "include_contact":
            guard let flag = field.bool else { throw problem("include_contact must be true or false") }
            endpoint.includeContact = flag
        case "allow_http":
            guard let flag = field.bool else { throw problem("allow_http must be true or false") }
            endpoint.allowHTTP = flag
        case "timeout":
            do { endpoint.timeout = try duration(.file(field), min: 0.1, max: 300) } catch {
                throw problem("timeout must be a duration from 0.1 s to 300 s, such as \"15s\"")
            }
        default:
            throw problem("unknown key \(key); known: url, secret_file, secret_env, events, include_contact, allow_http, timeout")
        }
    }
}
