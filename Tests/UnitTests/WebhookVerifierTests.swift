import Foundation
import OpineCore
import Testing

/// The receiving side of Standard Webhooks, checked against what `WebhookSigner` (opined's side) writes.
@Suite("WebhookVerifier: signatures WebhookSigner makes verify, anything else does not")
struct WebhookVerifierTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let other = "whsec_" + Data("another key of the practice".utf8).base64EncodedString()
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let stamp = Int(now.timeIntervalSince1970)
    static let body = Data(#"{"data":{"reason":"checksum_mismatch"},"timestamp":"2027-01-15T08:00:00.000Z","type":"bundle.rejected"}"#.utf8)

    static func sign(_ secrets: [String], id: String = "msg_1", timestamp: Int = stamp, body: Data = body) throws -> String {
        try WebhookSigner(secrets: secrets).signature(id: id, timestamp: timestamp, body: body)
    }

    @Test("The published test vector verifies at its own time")
    func publishedVector() throws {
        let verifier = try WebhookVerifier(secrets: [Self.secret])
        let refusal = verifier.refusal(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            body: Data("{\"test\": 2432232314}".utf8), now: Date(timeIntervalSince1970: 1_614_265_330))
        #expect(refusal == nil)
    }

    @Test("A signature WebhookSigner made verifies; a changed body, id or timestamp does not")
    func tampering() throws {
        let verifier = try WebhookVerifier(secrets: [Self.secret])
        let signature = try Self.sign([Self.secret])
        #expect(verifier.refusal(id: "msg_1", timestamp: "\(Self.stamp)", signature: signature, body: Self.body, now: Self.now) == nil)
        var changed = Self.body
        changed[changed.count - 3] = UInt8(ascii: "X")
        #expect(verifier.refusal(id: "msg_1", timestamp: "\(Self.stamp)", signature: signature, body: changed, now: Self.now) == .noMatchingSignature)
        #expect(verifier.refusal(id: "msg_2", timestamp: "\(Self.stamp)", signature: signature, body: Self.body, now: Self.now) == .noMatchingSignature)
        #expect(verifier.refusal(id: "msg_1", timestamp: "\(Self.stamp + 1)", signature: signature, body: Self.body, now: Self.now) == .noMatchingSignature)
    }

    @Test("During a rotation: the service with either secret verifies a request signed with both, or with its own")
    func rotation() throws {
        let both = try Self.sign([Self.secret, Self.other])
        for secrets in [[Self.secret], [Self.other], [Self.other, Self.secret]] {
            let verifier = try WebhookVerifier(secrets: secrets)
            #expect(verifier.refusal(id: "msg_1", timestamp: "\(Self.stamp)", signature: both, body: Self.body, now: Self.now) == nil)
        }
        let onlyNew = try Self.sign([Self.other])
        let rotating = try WebhookVerifier(secrets: [Self.secret, Self.other])
        #expect(rotating.refusal(id: "msg_1", timestamp: "\(Self.stamp)", signature: onlyNew, body: Self.body, now: Self.now) == nil)
        let oldOnly = try WebhookVerifier(secrets: [Self.secret])
        #expect(oldOnly.refusal(id: "msg_1", timestamp: "\(Self.stamp)", signature: onlyNew, body: Self.body, now: Self.now) == .noMatchingSignature)
    }

    @Test("Timestamps more than five minutes off either way are refused; five minutes exactly is taken")
    func staleness() throws {
        let verifier = try WebhookVerifier(secrets: [Self.secret])
        for (offset, expected) in [(-300, nil), (300, nil), (-301, WebhookVerifier.Refusal.staleTimestamp), (301, .staleTimestamp), (-86400, .staleTimestamp)] {
            let stamp = Self.stamp + offset
            let signature = try Self.sign([Self.secret], timestamp: stamp)
            #expect(verifier.refusal(id: "msg_1", timestamp: "\(stamp)", signature: signature, body: Self.body, now: Self.now) == expected, "offset \(offset)")
        }
    }

    @Test("Missing headers, a malformed timestamp, other versions and garbage are refused, never a crash")
    func malformed() throws {
        let verifier = try WebhookVerifier(secrets: [Self.secret])
        let good = try Self.sign([Self.secret])
        let stamp = "\(Self.stamp)"
        #expect(verifier.refusal(id: nil, timestamp: stamp, signature: good, body: Self.body, now: Self.now) == .missingHeader)
        #expect(verifier.refusal(id: "msg_1", timestamp: "", signature: good, body: Self.body, now: Self.now) == .missingHeader)
        #expect(verifier.refusal(id: "msg_1", timestamp: stamp, signature: nil, body: Self.body, now: Self.now) == .missingHeader)
        for bad in ["-1", "1.5", "0x10", " 1800000000", "99999999999999999999"] {
            #expect(verifier.refusal(id: "msg_1", timestamp: bad, signature: good, body: Self.body, now: Self.now) == .malformedTimestamp, "\(bad)")
        }
        let unsigned = String(good.dropFirst(3))
        for signature in ["v2," + unsigned, unsigned, "v1,not base64!", "v1,", "v1a," + unsigned] {
            #expect(verifier.refusal(id: "msg_1", timestamp: stamp, signature: signature, body: Self.body, now: Self.now) == .noMatchingSignature, "\(signature)")
        }
        #expect(verifier.refusal(id: "msg_1", timestamp: stamp, signature: "v1,AAAA " + good, body: Self.body, now: Self.now) == nil,
                "one good signature among others verifies")
        #expect(throws: WebhookSigner.InvalidSecret.self) { try WebhookVerifier(secrets: ["not-a-secret"]) }
    }
}
