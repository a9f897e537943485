import Foundation
import HTTPTypes
import Hummingbird
import OpineCore
import OpinePack

extension Submission {
    /// `POST /api/drafts/ID/supplement`: files (and a note) added to a request already sent, found by its status
    /// link's token. The bundle is a supplement (`supplements` = that request's submission id) under its own id,
    /// `<id>-s<N>`, built and renamed into the drop directory exactly as a first submission; the answer is the
    /// request's own reference and links. Never logs the note or the token.
    func supplement(_ request: Request, draft: String, context: UploadRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: context.maxUploadSize) } catch {
            throw APIFailure(413, "The note is too long; shorten it and try again.")
        }
        let binding = CSRF.binding(of: request)
        let prepared = try await parts.uploads.draft(draft, binding: binding)
        let answers = try SupplementAnswers.read(body.readableBytesView).mapError(APIFailure.init).get()
        let original = try await requestTakingFiles(token: answers.token)
        guard !prepared.uploads.isEmpty || answers.saysSomething else {
            throw APIFailure(422, "Pick the files to add, or write a note for the surgeon.", field: "files")
        }
        let (id, now) = (try await numberSupplement(of: original), Date())
        let composed = try answers.compose(submissionID: id, supplements: original.submissionID, now: now, limits: intakeLimits).mapError(APIFailure.init).get()
        let listed = try PageAnswers.listedUploads(body.readableBytesView).mapError(APIFailure.init).get()
        let result = try await sendSupplement(draft, binding: binding, listed: listed, id: id, answers: composed, now: now)
        parts.logger.notice(
            "supplement submitted", metadata: ["submission": "\(id)", "supplements": "\(original.submissionID)", "files": "\(result.files.count)"])
        return APIFailure.json(
            Answer(reference: original.reference, receipt_url: "/receipt/" + answers.token, status_url: "/status/" + answers.token),
            status: .created)
    }

    /// The request the token's status link opens, when files may still be added to it.
    private func requestTakingFiles(token: String) async throws -> SubmissionRecord {
        let found: SubmissionRecord?
        do { found = try await parts.submissions.record(token: token) } catch {
            parts.logger.error("a submission's record could not be read", metadata: ["reason": "\(type(of: error))"])
            throw APIFailure(500, "The service could not find your request just now; try again in a moment, or call the practice.")
        }
        guard let original = found else {
            throw APIFailure(404, "This link does not open a request (it is mistyped, or older than the practice keeps links); call the practice to send more files.")
        }
        guard original.status.takesSupplements else {
            throw APIFailure(
                409,
                original.status == .refused
                    ? "This request was not accepted, so nothing can be added to it; use \u{201C}Send it again\u{201D} on its status page."
                    : "This request is closed, so nothing can be added to it; start a new request, or call the practice.")
        }
        return original
    }

    /// The next supplement's submission id, numbered in the request's record so two never share one.
    private func numberSupplement(of original: SubmissionRecord) async throws -> String {
        let numbered = try? await parts.submissions.update(id: original.submissionID) { $0.supplementsNumbered = ($0.supplementsNumbered ?? 0) + 1 }
        guard let number = numbered?.supplementsNumbered,
            let id = SupplementAnswers.submissionID(supplementing: original.submissionID, number: number)
        else {
            throw APIFailure(500, "The service could not add the files just now; try again in a moment, or call the practice.")
        }
        return id
    }
}
