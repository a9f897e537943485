import Crypto
import Foundation

/// Standard Webhooks signing: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")), one per configured secret,
/// space-separated, so receivers keep verifying while a secret is rotated.
public struct WebhookSigner: Sendable {
    /// Raw key bytes (SymmetricKey is not Sendable; a key is made per signature, which costs nothing next to HMAC).
    private let keys: [Data]

    /// A configured secret that is not `whsec_` followed by non-empty base64; opined refuses to start with one.
    public struct InvalidSecret: Error, CustomStringConvertible {
        /// What is wrong, without repeating the secret.
        public var description: String { "a webhook secret must look like whsec_<base64>" }
    }

    /// `secrets` in the form `whsec_<base64>`.
    public init(secrets: [String]) throws {
        keys = try secrets.map { secret in
            guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))), !key.isEmpty else {
                throw InvalidSecret()
            }
            return key
        }
    }

    /// The `webhook-signature` header value for one attempt.
    public func signature(id: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        return keys.map { key in
            "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))).base64EncodedString()
        }.joined(separator: " ")
    }
}
