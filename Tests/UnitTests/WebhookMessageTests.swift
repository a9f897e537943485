import Foundation
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
@testable import OpineDelivery
@testable import OpineDaemon
import OpineConfiguration
import Testing

@Suite("Webhook signing, retry decisions and message bodies")
struct WebhookMessageTests {
    @Test("Signing matches the Standard Webhooks published test vector")
    func publishedTestVector() throws {
        let signer = try WebhookSigner(secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: Data("{\"test\": 2432232314}".utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("During a rotation every secret signs, space-separated; malformed secrets are refused")
    func rotation() throws {
        let signer = try WebhookSigner(secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_" + Data("another key".utf8).base64EncodedString()])
        let parts = signer.signature(id: "msg_1", timestamp: 1, body: Data("{}".utf8)).split(separator: " ")
        #expect(parts.count == 2 && parts.allSatisfy { $0.hasPrefix("v1,") } && parts[0] != parts[1])
        #expect(throws: WebhookSigner.InvalidSecret.self) { try WebhookSigner(secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]) }
        #expect(throws: WebhookSigner.InvalidSecret.self) { try WebhookSigner(secrets: ["whsec_"]) }
    }

    @Test("Retries follow the schedule with jitter, honour Retry-After within bounds, and end dead")
    func retryDecisions() {
        let policy = RetryPolicy.standard
        #expect(policy.decide(after: .status(204, retryAfter: nil), attempt: 1, random: 0.5) == .delivered)
        #expect(policy.decide(after: .status(500, retryAfter: nil), attempt: 1, random: 0.5) == .retry(after: 5))
        #expect(policy.decide(after: .timeout, attempt: 2, random: 0) == .retry(after: 240))
        #expect(policy.decide(after: .connectionFailed, attempt: 2, random: 1) == .retry(after: 360))
        #expect(policy.decide(after: .status(429, retryAfter: 600), attempt: 1, random: 0.5) == .retry(after: 600))
        #expect(policy.decide(after: .status(503, retryAfter: 10_000_000), attempt: 1, random: 0.5) == .retry(after: 86400))
        #expect(policy.decide(after: .status(503, retryAfter: 1), attempt: 3, random: 0.5) == .retry(after: 1800))
        #expect(policy.decide(after: .status(302, retryAfter: nil), attempt: 1, random: 0.5) == .retry(after: 5), "redirects are failures")
        #expect(policy.decide(after: .status(410, retryAfter: nil), attempt: 1, random: 0.5) == .disableEndpoint)
        #expect(policy.decide(after: .status(500, retryAfter: nil), attempt: policy.schedule.count + 1, random: 0.5) == .dead)
    }

    @Test("The body is compact JSON; contact details appear only when asked for")
    func body() throws {
        let data = NotificationData(rejectionCode: "checksum_mismatch", submissionID: "web-1")
        let plain = String(decoding: try WebhookMessage(type: .bundleRejected, timestamp: "2026-11-26T09:30:00Z", data: data).body(), as: UTF8.self)
        #expect(plain == #"{"data":{"reason":"checksum_mismatch","submission_id":"web-1"},"timestamp":"2026-11-26T09:30:00Z","type":"bundle.rejected"}"#)
        let contact = WebhookMessage.Contact(name: "Jane Q. Doe", email: "jane@example.org", phone: nil)
        let withContact = String(decoding: try WebhookMessage(type: .caseReceived, timestamp: "t", data: data, contact: contact).body(), as: UTF8.self)
        #expect(withContact.contains(#""patient":{"email":"jane@example.org","name":"Jane Q. Doe"}"#))
    }

    @Test("The body built from stored data is byte for byte what the encoder writes")
    func bodyFromStoredData() throws {
        var full = NotificationData(rejectionCode: "x", submissionID: "web-\u{e9}/\"quoted\"")
        full.caseID = "C-20261126-0001"
        full.state = .triaged
        full.priority = .emergency
        full.regions = ["lumbar", "cervical"]
        full.assignee = "dr-patel"
        full.receivedAt = "2026-11-26T09:30:00.000Z"
        full.updatedAt = "2026-11-26T09:31:00.000Z"
        for data in [full, NotificationData(rejectionCode: "checksum_mismatch", submissionID: nil)] {
            for type in NotificationType.allCases {
                let stored = try WebhookMessage.body(type: type, timestamp: "2026-11-26T09:30:00.123Z", storedData: data.encoded(), contact: nil)
                let encoded = try WebhookMessage(type: type, timestamp: "2026-11-26T09:30:00.123Z", data: data).body()
                #expect(String(decoding: stored, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
            }
        }
        let contact = WebhookMessage.Contact(name: "Jane", email: nil, phone: nil)
        let withContact = try WebhookMessage.body(type: .caseReceived, timestamp: "t", storedData: full.encoded(), contact: contact)
        #expect(String(decoding: withContact, as: UTF8.self).contains(#""patient":{"name":"Jane"}"#), "contact details take the encoder's path")
    }
}
