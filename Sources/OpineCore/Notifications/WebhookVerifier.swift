import Crypto
import Foundation

/// Standard Webhooks verification, the receiving side of `WebhookSigner`: a request is genuine when one of its
/// `v1,` signatures is the HMAC-SHA256 of `id.timestamp.body` under one of the configured secrets (several during a
/// rotation) and its timestamp is within `tolerance` of now, so a captured request cannot be replayed later.
public struct WebhookVerifier: Sendable {
    /// Raw key bytes, one per secret (SymmetricKey is not Sendable).
    private let keys: [Data]
    /// How far a request's `webhook-timestamp` may be from now, either way.
    public let tolerance: TimeInterval

    /// Standard Webhooks' own tolerance: five minutes.
    public static let defaultTolerance: TimeInterval = 300

    /// Why a request does not verify. The sender is told none of it (only that the signature does not verify); the
    /// receiver may count them.
    public enum Refusal: String, Error, Sendable, Equatable {
        /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty.
        case missingHeader = "missing_header"
        /// `webhook-timestamp` is not whole unix seconds.
        case malformedTimestamp = "malformed_timestamp"
        /// The timestamp is more than `tolerance` from now: a replay, or a clock far off.
        case staleTimestamp = "stale_timestamp"
        /// No `v1,` signature matches any secret.
        case noMatchingSignature = "no_matching_signature"
    }

    /// `secrets` in the form `whsec_<base64>`, as `WebhookSigner` takes them.
    public init(secrets: [String], tolerance: TimeInterval = Self.defaultTolerance) throws {
        keys = try secrets.map { secret in
            guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))), !key.isEmpty else {
                throw WebhookSigner.InvalidSecret()
            }
            return key
        }
        self.tolerance = tolerance
    }

    /// Checks one request against its three headers' values and the raw body bytes, before anything parses the body;
    /// nil when it verifies.
    public func refusal(id: String?, timestamp: String?, signature: String?, body: Data, now: Date) -> Refusal? {
        guard let id, !id.isEmpty, let timestamp, !timestamp.isEmpty, let signature, !signature.isEmpty else {
            return .missingHeader
        }
        guard timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int(timestamp)
        else { return .malformedTimestamp }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else { return .staleTimestamp }
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let candidates = signature.split(separator: " ").compactMap { part -> Data? in
            guard part.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(part.dropFirst(3)))
        }
        for key in keys {
            let symmetric = SymmetricKey(data: key)
            // HMAC's own check compares in constant time, so timing tells an attacker nothing about the right code.
            for candidate in candidates where HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: signed, using: symmetric) {
                return nil
            }
        }
        return .noMatchingSignature
    }
}
