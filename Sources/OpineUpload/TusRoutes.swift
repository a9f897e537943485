import Foundation
import HTTPTypes
import Hummingbird
import OpineCore

/// tus 1.0 on `/api/uploads`: discovery, creation, HEAD, PATCH (streamed to disk, `TusPatch`), termination, with
/// the expiration and sha256 checksum extensions. Every upload belongs to a draft, and so to one browser's cookie.
struct TusRoutes: Sendable {
    let parts: ServiceParts

    /// Adds this group's routes to `router`.
    func register(on router: Router<UploadRequestContext>) {
        router.on("/api/uploads", method: .options) { _, _ in options() }
        router.post("/api/uploads") { request, _ in try await create(request) }
        router.head("/api/uploads/:id") { request, context in await head(request, context) }
        router.patch("/api/uploads/:id") { request, context in
            try await withTusHeaders { try await TusPatch(parts: parts).patch(request, id: try uploadID(context), context: context) }
        }
        router.delete("/api/uploads/:id") { request, context in
            try await withTusHeaders {
                try checkResumable(request)
                try await parts.uploads.terminate(try uploadID(context), binding: CSRF.binding(of: request))
                return Response(status: .noContent, headers: Self.tusFields)
            }
        }
    }

    /// The headers every tus response carries.
    static var tusFields: HTTPFields {
        var fields = HTTPFields()
        fields[TusHeaders.resumable] = TusHeaders.version
        return fields
    }

    private func options() -> Response {
        var fields = Self.tusFields
        fields[TusHeaders.tusVersion] = TusHeaders.version
        fields[TusHeaders.tusExtension] = TusHeaders.extensions
        fields[TusHeaders.checksumAlgorithm] = "sha256"
        fields[TusHeaders.tusMaxSize] = String(parts.settings.limits.maxFileBytes)
        return Response(status: .noContent, headers: fields)
    }

    private func create(_ request: Request) async throws -> Response {
        try checkResumable(request)
        if request.headers[TusHeaders.uploadDeferLength] != nil {
            throw APIFailure(400, "The upload must say its size at the start (Upload-Length); reload the page and try again.", headers: Self.tusFields)
        }
        let metadata: TusMetadata
        switch TusMetadata.parse(request.headers[TusHeaders.uploadMetadata]) {
        case .success(let value): metadata = value
        case .failure(let refusal): throw APIFailure(refusal, headers: Self.tusFields)
        }
        let length = request.headers[TusHeaders.uploadLength].map { TusHeaders.number($0) ?? -1 }
        let upload = try await withTusHeaders {
            try await parts.uploads.createUpload(metadata, length: length, binding: CSRF.binding(of: request))
        }
        var fields = Self.tusFields
        fields[.location] = "/api/uploads/" + upload.record.id
        // 0 for a new upload; a creation repeated after a lost answer learns where the upload stands without a HEAD.
        fields[TusHeaders.uploadOffset] = String(upload.offset)
        fields[TusHeaders.uploadExpires] = TusHeaders.httpDate(await parts.uploads.expiry(of: upload))
        return Response(status: .created, headers: fields)
    }

    private func head(_ request: Request, _ context: UploadRequestContext) async -> Response {
        var fields = Self.tusFields
        fields[.cacheControl] = "no-store"
        do throws(APIFailure) {
            try checkResumable(request)
            let upload = try await parts.uploads.upload(try uploadID(context), binding: CSRF.binding(of: request))
            fields[TusHeaders.uploadOffset] = String(upload.offset)
            fields[TusHeaders.uploadLength] = String(upload.record.length)
            fields[TusHeaders.uploadExpires] = TusHeaders.httpDate(await parts.uploads.expiry(of: upload))
            return Response(status: .ok, headers: fields)
        } catch {
            // A HEAD response has no body: the status and the tus headers say it all.
            fields.append(contentsOf: error.headers.filter { $0.name != TusHeaders.resumable })
            return Response(status: error.status, headers: fields)
        }
    }

    private func uploadID(_ context: UploadRequestContext) throws(APIFailure) -> String {
        guard let id = context.parameters.get("id"), TusStore.isID(id) else {
            throw APIFailure(404, "This upload is not known (it expired or was removed); the page sends the file again.", headers: Self.tusFields)
        }
        return id
    }
}

/// Runs a tus route's work, adding `Tus-Resumable` to any refusal, as tus asks of every response.
func withTusHeaders<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch var failure as APIFailure {
        failure.headers[TusHeaders.resumable] = TusHeaders.version
        throw failure
    }
}

/// Refuses a tus request without `Tus-Resumable: 1.0.0` with 412, as tus says.
func checkResumable(_ request: Request) throws(APIFailure) {
    guard request.headers[TusHeaders.resumable] == TusHeaders.version else {
        var fields = TusRoutes.tusFields
        fields[TusHeaders.tusVersion] = TusHeaders.version
        throw APIFailure(412, "This page is out of date (it speaks another version of the upload protocol); reload it.", headers: fields)
    }
}
