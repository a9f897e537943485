import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpineCore

/// opined's webhooks in (`POST /hooks/opine`) and each submission's status out (`GET /api/status/TOKEN`). A webhook
/// is verified against its Standard Webhooks signature before its body is read, applied to the submission it names as
/// `PatientStatusPolicy` decides, and answered 204 at once, whether or not it concerned this service.
struct HookRoutes: Sendable {
    let parts: ServiceParts

    /// The one thing a caller learns of a refused webhook: nothing that would help forge one.
    static let refusedSentence = "signature does not verify"

    /// Adds this group's routes to `router`.
    func register(on router: Router<UploadRequestContext>) {
        // The secrets were checked when the configuration was read; none configured refuses every webhook.
        let verifier = parts.settings.webhookSecrets.isEmpty ? nil : try? WebhookVerifier(secrets: parts.settings.webhookSecrets)
        if verifier == nil {
            parts.logger.warning("no webhook.secret_file: opined's webhooks are refused and every status stays sent (docs/upload.md)")
        }
        router.post("/hooks/opine") { request, context in try await receive(request, context: context, verifier: verifier) }
        router.get("/api/status/:token") { request, context in try await status(request, context: context) }
    }

    private func receive(_ request: Request, context: UploadRequestContext, verifier: WebhookVerifier?) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: parts.settings.limits.maxFormBytes))
        let id = request.headers[Self.webhookID]
        let refusal =
            verifier?.refusal(
                id: id, timestamp: request.headers[Self.webhookTimestamp], signature: request.headers[Self.webhookSignature], body: body, now: Date())
            ?? (verifier == nil ? .noMatchingSignature : nil)
        if let refusal {
            parts.logger.warning("webhook refused", metadata: ["why": "\(refusal.rawValue)"])
            return Self.json(["error": Self.refusedSentence], status: .unauthorized)
        }
        let webhook: StatusWebhook
        do { webhook = try StatusWebhook.parse(id: id ?? "", body: body) } catch {
            parts.logger.error("webhook unreadable", metadata: ["why": "\(error)"])
            return Self.json(["error": "\(error); this is not a webhook of opined's"], status: .badRequest)
        }
        if webhook.carriesContact {
            parts.logger.warning("opined sends this service the patient's contact details; set include_contact = false on its endpoint (docs/upload.md); they are not kept")
        }
        let outcome = try await parts.submissions.apply(webhook)
        parts.logger.info(
            "webhook", metadata: ["type": "\(webhook.type?.rawValue ?? "unknown")", "outcome": "\(Self.describe(outcome))"])
        return Response(status: .noContent)
    }

    private func status(_ request: Request, context: UploadRequestContext) async throws -> Response {
        guard let token = context.parameters.get("token"), let record = try await parts.submissions.record(token: token) else {
            return Self.json(
                ["error": "This status link is unknown or has expired. Check that the whole link was copied, or call the practice and quote your reference."],
                status: .notFound)
        }
        return Self.json(StatusAnswer(record), status: .ok)
    }

    private static func describe(_ outcome: WebhookOutcome) -> String {
        switch outcome {
        case .unknownSubmission: "not ours"
        case .ignored(let reason): "ignored (\(reason.rawValue))"
        case .applied(let status): "status \(status.rawValue)"
        }
    }

    static let webhookID = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!

    /// `value` as compact JSON with sorted keys.
    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `GET /api/status/TOKEN`'s answer (docs/upload.md): what the status page shows, and no patient data.
struct StatusAnswer: Encodable, Equatable {
    /// The short reference the patient quotes.
    var reference: String
    /// `PatientStatus`'s raw value.
    var status: String
    /// Whether it is seen first.
    var emergency: Bool
    /// When the status last changed (RFC 3339).
    var updatedAt: String
    /// Why it was refused; null unless refused.
    var refusal: Refusal?

    /// The rejection code and the file or field at fault.
    struct Refusal: Encodable, Equatable {
        var code: String
        var entry: String?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(entry, forKey: .entry)
        }

        enum CodingKeys: String, CodingKey { case code, entry }
    }

    init(_ record: SubmissionRecord) {
        reference = record.reference
        status = record.status.rawValue
        emergency = record.emergency
        updatedAt = Timestamps.format(record.updatedAt)
        refusal = record.status == .refused ? Refusal(code: record.refusalCode ?? "unknown", entry: record.refusalEntry) : nil
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reference, forKey: .reference)
        try container.encode(status, forKey: .status)
        try container.encode(emergency, forKey: .emergency)
        try container.encode(updatedAt, forKey: .updatedAt)
        // Always present: null when there is no refusal, as the page expects.
        try container.encode(refusal, forKey: .refusal)
    }

    enum CodingKeys: String, CodingKey {
        case reference, status, emergency, refusal
        case updatedAt = "updated_at"
    }
}
