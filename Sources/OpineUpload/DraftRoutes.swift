import Foundation
import HTTPTypes
import Hummingbird
import OpineCore

/// `POST /api/drafts` (a request being prepared, bound to this browser's CSRF cookie, counted against the address's
/// hourly limit), `POST /api/drafts/ID/submit` (the answers; the bundle is built and renamed into the drop directory
/// by `Submission`) and `POST /api/drafts/ID/supplement` (files added to a request already sent, found by its status
/// link's token: `Submission+Supplement.swift`).
struct DraftRoutes: Sendable {
    let parts: ServiceParts

    /// What `POST /api/drafts` answers.
    struct Created: Encodable {
        struct Limits: Encodable {
            var max_files: Int
            var max_file_bytes: Int64
            var max_request_bytes: Int64
            var chunk_bytes: Int64
        }
        var draft: String
        var expires_at: String
        var limits: Limits
    }

    /// Adds this group's routes to `router`.
    func register(on router: Router<UploadRequestContext>) {
        router.post("/api/drafts") { request, context in try await create(request, context) }
        router.post("/api/drafts/:id/submit") { request, context in
            guard let id = context.parameters.get("id"), TusStore.isID(id) else {
                throw APIFailure(404, "This request is no longer being prepared (it was sent, or it expired); reload the page to start again.")
            }
            return try await Submission(parts: parts).submit(request, draft: id, context: context)
        }
        router.post("/api/drafts/:id/supplement") { request, context in
            guard let id = context.parameters.get("id"), TusStore.isID(id) else {
                throw APIFailure(404, "These files are no longer being prepared (they were sent, or they expired); reload the page to start again.")
            }
            return try await Submission(parts: parts).supplement(request, draft: id, context: context)
        }
    }

    private func create(_ request: Request, _ context: UploadRequestContext) async throws -> Response {
        // The CSRF check has passed, so the cookie is there.
        guard let binding = CSRF.binding(of: request) else { throw APIFailure(403, "Reload the page and try again.") }
        try await parts.limits.admit(.request, address: request.clientAddress(context, trustProxy: parts.settings.trustProxy))
        let record: DraftRecord
        do { record = try await parts.uploads.createDraft(binding: binding) } catch {
            parts.logger.error("a draft could not be stored", metadata: ["reason": "\(type(of: error))"])
            throw APIFailure(500, "The service could not start the request; try again in a moment, or call the practice.")
        }
        let limits = parts.settings.limits
        let created = Created(
            draft: record.id, expires_at: Timestamps.format(parts.uploads.policy.expiry(lastActivity: record.createdAt)),
            limits: .init(max_files: limits.maxFiles, max_file_bytes: limits.maxFileBytes, max_request_bytes: limits.maxRequestBytes, chunk_bytes: Self.chunkBytes(limits)))
        return APIFailure.json(created, status: .created)
    }

    /// The chunk the page sends: 8 MiB, or `max_chunk_bytes` when smaller. A chunk cut off mid-way is sent again
    /// whole (its checksum cannot match), so a patient on a slow line loses at most one small chunk.
    static func chunkBytes(_ limits: UploadSettings.Limits) -> Int64 { min(limits.maxChunkBytes, 8 << 20) }
}
