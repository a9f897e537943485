import Foundation
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
@testable import OpineDelivery
@testable import OpineDaemon
import OpineConfiguration
import Testing

@Suite("Webhook configuration and endpoint health")
struct WebhookConfigurationTests {
    static let base = """
        [paths]
        spool = "/srv/spool"
        state = "/srv/state"

        """

    static func parse(_ text: String, environment: [String: String] = [:]) throws -> Configuration {
        try Configuration.parse(base + text, source: "test.toml", environment: environment)
    }

    @Test("Endpoints, schedules and limits are read; secrets come from a file or a variable, never the file itself")
    func endpointsParse() throws {
        let configuration = try Self.parse("""
            [webhooks]
            retry_schedule = ["5s", "1m", "2h", "1d"]
            retry_jitter = 0.1
            pause_after = "30m"
            [endpoints.messaging]
            url = "https://messaging.example.org/hooks?token=abc"
            secret_env = "OPINE_MESSAGING_SECRET"
            include_contact = true
            events = ["case.received", "case.responded"]
            timeout = "5s"
            [endpoints.desk]
            url = "http://127.0.0.1:8080/hook"
            allow_http = true
            secret_file = "/run/credentials/opined.service/webhook_desk"
            """)
        let webhooks = configuration.webhooks
        #expect(webhooks.retry.schedule == [5, 60, 7200, 86400] && webhooks.retry.jitter == 0.1 && webhooks.pauseAfter == 1800)
        let messaging = try #require(webhooks.endpoint(named: "messaging"))
        #expect(messaging.includeContact && messaging.events == [.caseReceived, .caseResponded] && messaging.timeout == 5)
        #expect(messaging.displayURL == "https://messaging.example.org/hooks", "a token in the query is never shown")
        let desk = try #require(webhooks.endpoint(named: "desk"))
        #expect(desk.events == Set(NotificationType.allCases) && !desk.includeContact && desk.timeout == 15)

        let signer = try messaging.loadSigner(environment: ["OPINE_MESSAGING_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25k"])
        #expect(signer.signature(id: "msg_1", timestamp: 1, body: Data()).split(separator: " ").count == 2, "two secrets during a rotation")
        #expect(throws: ConfigurationError.self) { try messaging.loadSigner(environment: [:]) }
        let missing = #expect(throws: ConfigurationError.self) { try desk.loadSigner(environment: [:]) }
        #expect(missing?.description.contains("/run/credentials/opined.service/webhook_desk") == true)
        let malformed = #expect(throws: ConfigurationError.self) {
            try messaging.loadSigner(environment: ["OPINE_MESSAGING_SECRET": "hunter2"])
        }
        #expect(malformed?.description.contains("hunter2") == false, "the secret is never echoed")
    }

    @Test("Unsafe or unclear endpoint settings are refused with the key and the fix", arguments: [
        ("url = \"http://example.org/hook\"\nsecret_env = \"S\"", "allow_http = true"),
        ("url = \"ftp://example.org/hook\"\nsecret_env = \"S\"", "https"),
        ("url = \"https://example.org/hook\"", "exactly one of secret_file and secret_env"),
        ("url = \"https://example.org/hook\"\nsecret_env = \"S\"\nsecret_file = \"/s\"", "exactly one of"),
        ("url = \"https://example.org/hook\"\nsecret_env = \"S\"\nevents = [\"case.sent\"]", "unknown event"),
        ("url = \"https://example.org/hook\"\nsecret_env = \"S\"\nsecret = \"whsec_x\"", "unknown key secret"),
        ("url = \"https://example.org/hook\"\nsecret_file = \"relative\"", "absolute path"),
        ("url = \"https://example.org/hook\"\nsecret_env = \"S\"\ntimeout = \"1h\"", "timeout"),
    ])
    func badEndpoints(fields: String, mentions: String) {
        let error = #expect(throws: ConfigurationError.self) { try Self.parse("[endpoints.desk]\n" + fields) }
        #expect(error?.description.contains("endpoints.desk") == true && error?.description.contains(mentions) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("whsec_x") == false, "a secret misplaced in the file is not echoed")
    }

    @Test("Durations accept units; a bad schedule names the entry")
    func schedules() {
        let error = #expect(throws: ConfigurationError.self) { try Self.parse("[webhooks]\nretry_schedule = [\"5s\", \"soon\"]") }
        #expect(error?.description.contains("\"soon\"") == true)
        #expect(throws: ConfigurationError.self) { try Self.parse("[webhooks]\nretry_schedule = []") }
        #expect(throws: ConfigurationError.self) { try Self.parse("", environment: ["OPINE_ENDPOINTS": "x"]) }
    }

    @Test("An endpoint failing long enough is paused to one probe at a time; a success or enable clears it")
    func health() {
        var health = EndpointHealth(name: "desk")
        #expect(health.status == .active && health.allowance(perEndpoint: 8, now: 0) == 8)
        var paused = health.recordFailure(at: 100, pauseAfter: 60, probeInterval: 30)
        #expect(!paused)
        #expect(health.status == .failing && health.allowance(perEndpoint: 8, now: 100) == 8)
        paused = health.recordFailure(at: 160, pauseAfter: 60, probeInterval: 30)
        #expect(paused, "paused once failing for pause_after")
        #expect(health.status == .paused && health.allowance(perEndpoint: 8, now: 170) == 0)
        #expect(health.allowance(perEndpoint: 8, now: 190) == 1, "one probe after the interval")
        paused = health.recordFailure(at: 191, pauseAfter: 60, probeInterval: 30)
        #expect(!paused, "already paused: not announced again")
        #expect(health.failuresInRow == 3)
        health.recordSuccess(at: 230)
        #expect(health.status == .active && health.failuresInRow == 0 && health.allowance(perEndpoint: 8, now: 230) == 8)
        health.disable(at: 240, reason: "answered 410 Gone")
        #expect(health.status == .disabled && health.allowance(perEndpoint: 8, now: 10_000) == 0)
        health.enable()
        #expect(health.status == .active)
    }

    @Test("Retry-After is read in seconds or as an HTTP date")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(RetryPolicy.parseRetryAfter("120", now: now) == 120)
        #expect(RetryPolicy.parseRetryAfter("-5", now: now) == 0)
        let date = Date(timeIntervalSince1970: 1_795_000_090)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(RetryPolicy.parseRetryAfter(formatter.string(from: date), now: now) == 90)
        #expect(RetryPolicy.parseRetryAfter("later", now: now) == nil)
    }
}
