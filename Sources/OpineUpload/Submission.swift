#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import HTTPTypes
import Hummingbird
import OpineCore
import OpinePack

/// `POST /api/drafts/ID/submit`: checks the answers, builds the bundle from the draft's complete uploads in the
/// staging folder (study files laid out by hard link, then `Packer.pack`, which checks every size and type, hashes
/// every file whose PATCH did not already check its whole SHA-256, and writes the manifest), records the submission and marks the draft sent, renames the bundle
/// into the drop directory in one step and answers with the reference and the private links; a repeated submit of a
/// sent draft by the same browser gets the same reference. Never logs the answers, the links or a path.
struct Submission {
    let parts: ServiceParts
    /// Packs run one at a time, off the cooperative pool: a pack reads and hashes gigabytes. The service's own
    /// graceful shutdown lets a pack in progress finish, so `Packer` is told to leave the signals alone.
    static let queue = DispatchQueue(label: "opine-upload.pack")

    /// What `submit` answers.
    struct Answer: Encodable {
        var reference: String
        var receipt_url: String
        var status_url: String
    }

    func submit(_ request: Request, draft: String, context: UploadRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: context.maxUploadSize) } catch {
            throw APIFailure(413, "The answers are too long; shorten the question and try again.")
        }
        let binding = CSRF.binding(of: request)
        if let answer = try await repeated(draft, binding: binding) { return answer }
        _ = try await parts.uploads.draft(draft, binding: binding)
        let reference = SubmissionReference.random()
        let id = reference.submissionID
        let now = Date()
        let answers = try PageAnswers.compose(body.readableBytesView, submissionID: id, now: now, limits: intakeLimits).mapError(APIFailure.init).get()
        let listed = try PageAnswers.listedUploads(body.readableBytesView).mapError(APIFailure.init).get()
        let uploads = try await parts.uploads.beginSubmit(draft, binding: binding, listed: listed)
        let token = SubmissionBook.newToken()
        let record: SubmissionRecord
        do {
            record = try await send(draft, binding: binding ?? "", uploads: uploads, answers: answers, reference: reference, token: token, now: now)
        } catch {
            await parts.uploads.endSubmit(draft, sent: false)
            throw error
        }
        await parts.uploads.endSubmit(draft, sent: true)
        parts.logger.notice("submitted", metadata: ["submission": "\(id)", "files": "\(uploads.count)", "emergency": "\(record.emergency)"])
        return APIFailure.json(Answer(reference: reference.description, receipt_url: "/receipt/" + token, status_url: "/status/" + token), status: .created)
    }

    /// A submit repeated after its answer was lost: the same reference and a fresh status link, when this browser
    /// sent the draft; nil when the draft was not sent.
    private func repeated(_ draft: String, binding: String?) async throws -> Response? {
        guard let mark = await parts.uploads.sentMark(draft) else { return nil }
        guard mark.binding == binding else {
            throw APIFailure(403, "This request was started in another browser; finish it there, or start again here.")
        }
        guard let record = try? await parts.submissions.record(id: mark.submissionID) else { return nil }
        let token = SubmissionBook.newToken()
        do { try await parts.submissions.addToken(token, submissionID: record.submissionID) } catch {
            throw APIFailure(500, "The service could not answer just now; try again in a moment, or call the practice.")
        }
        return APIFailure.json(Answer(reference: record.reference, receipt_url: "/receipt/" + token, status_url: "/status/" + token), status: .created)
    }

    /// Packs the bundle in staging, records the submission and marks the draft sent, then renames the bundle into
    /// the drop directory in one step: a bundle never arrives without its record, and a lost answer can be asked
    /// again. A bundle that cannot be handed over takes its record with it.
    private func send(
        _ draft: String, binding: String, uploads: [TusStore.Upload], answers: [UInt8], reference: SubmissionReference, token: String, now: Date
    ) async throws -> SubmissionRecord {
        let id = reference.submissionID
        let folder = parts.layout.bundles + "/" + id
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await build(id: id, uploads: uploads, answers: answers, now: now)
        let record = SubmissionRecord(
            submissionID: id, reference: reference.description, bundleName: id, uploadDigest: UploadDigest.of(id),
            emergency: result.priority == .emergency, submittedAt: now, status: .sent, updatedAt: now)
        do {
            try await parts.submissions.create(record, token: token)
            try await parts.uploads.markSent(draft, binding: binding, submissionID: id)
        } catch {
            parts.logger.error("a submission's record could not be stored", metadata: ["submission": "\(id)"])
            await forget(record, draft: draft, token: token)
            throw APIFailure(500, "The request could not be recorded; try again in a moment, or call the practice.")
        }
        guard try await handOver(result, id: id, uploads: uploads) else {
            await forget(record, draft: draft, token: token)
            throw APIFailure(500, "The request could not be handed to the practice; try again in a moment, or call the practice.")
        }
        return record
    }

    /// Claims the listed uploads, builds the bundle `id` and hands it over, for a supplement (which has no record
    /// of its own: the request's status tells its story); the draft is released for another try when it fails.
    func sendSupplement(_ draft: String, binding: String?, listed: [String]?, id: String, answers: [UInt8], now: Date) async throws -> Packer.Result {
        let uploads = try await parts.uploads.beginSubmit(draft, binding: binding, listed: listed)
        let folder = parts.layout.bundles + "/" + id
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let result = try await build(id: id, uploads: uploads, answers: answers, now: now)
            guard try await handOver(result, id: id, uploads: uploads) else {
                throw APIFailure(500, "The files could not be handed to the practice; try again in a moment, or call the practice.")
            }
            await parts.uploads.endSubmit(draft, sent: true)
            return result
        } catch {
            await parts.uploads.endSubmit(draft, sent: false)
            throw error
        }
    }

    /// Renames the built bundle into the drop directory in one step. The study's links and the uploads' own names
    /// go first: each file of the bundle must be its only name, since opined refuses a file with another link
    /// (`special_file`). False when the rename failed; the uploads' names are then linked back from the bundle, so
    /// the patient can send the request again without sending the files again.
    private func handOver(_ result: Packer.Result, id: String, uploads: [TusStore.Upload]) async throws -> Bool {
        let drop = parts.settings.dropDirectory
        let (output, study) = (result.output, parts.layout.bundles + "/" + id + "/study")
        let names = uploads.map { parts.uploads.bytesPath($0.record.id) }
        let bundled = result.files.map { output + "/" + $0.path }
        return try await Offload.run(on: Self.queue) { () -> Bool in
            try? FileManager.default.removeItem(atPath: study)
            let identities = names.map { FileIdentity(path: $0) }
            for name in names { unlink(name) }
            guard renameat2(AT_FDCWD, output, AT_FDCWD, drop + "/" + id, OPINE_RENAME_NOREPLACE) == 0 else {
                Self.relink(names, identities: identities, from: bundled)
                return false
            }
            try? StateFiles.syncFolder(drop)
            return true
        }
    }

    /// Gives each upload its name again from the bundle's file that is its inode.
    static func relink(_ names: [String], identities: [FileIdentity?], from bundled: [String]) {
        var byIdentity: [FileIdentity: String] = [:]
        for path in bundled { if let identity = FileIdentity(path: path) { byIdentity[identity] = path } }
        for (name, identity) in zip(names, identities) {
            if let identity, let path = byIdentity[identity] { _ = link(path, name) }
        }
    }

    private func forget(_ record: SubmissionRecord, draft: String, token: String) async {
        await parts.uploads.unmarkSent(draft)
        await parts.submissions.discard(record, token: token)
    }

    /// opined's limits as far as the service knows them: its defaults, with the service's own caps.
    var intakeLimits: IntakeSettings {
        var limits = IntakeSettings()
        limits.maxFiles = parts.settings.limits.maxFiles
        limits.maxFileBytes = parts.settings.limits.maxFileBytes
        limits.maxBundleBytes = parts.settings.limits.maxRequestBytes
        return limits
    }

    /// Builds the bundle in `staging/bundles/<id>/<id>`, off the cooperative pool; `send` renames it into drop.
    private func build(id: String, uploads: [TusStore.Upload], answers: [UInt8], now: Date) async throws -> Packer.Result {
        let folder = parts.layout.bundles + "/" + id
        let study = folder + "/study"
        let bytesPath = parts.uploads.bytesPath
        let limits = intakeLimits
        let outcome: Result<Packer.Result, APIFailure> = try await Offload.run(on: Self.queue) {
            do throws(APIFailure) {
                let records = uploads.map(\.record)
                try Self.layOut(records.filter { $0.role == .study }, in: study, bytesPath: bytesPath)
                let report = records.first { $0.role == .report }.map { bytesPath($0.id) }
                var request = Packer.Request(folder: study, answers: answers, report: report, output: folder + "/" + id, limits: limits)
                request.stopsOnSignals = false
                // The uploads are finished and on the drop directory's file system: linked, never copied, and not
                // hashed again where their PATCH already checked the whole file's SHA-256; the pack's one syncfs
                // makes their bytes durable.
                request.linksFiles = true
                request.knownDigests = Self.knownDigests(uploads, bytesPath: bytesPath)
                do throws(PackError) { return .success(try Packer.pack(request, now: now)) } catch { throw Self.failure(error) }
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// The whole-file digests the uploads' PATCHes checked, by the identity of each upload's bytes file.
    static func knownDigests(_ uploads: [TusStore.Upload], bytesPath: (String) -> String) -> [FileIdentity: String] {
        var known: [FileIdentity: String] = [:]
        for upload in uploads {
            guard let digest = upload.digest, let identity = FileIdentity(path: bytesPath(upload.record.id)) else { continue }
            known[identity] = Hex.lowercase(digest)
        }
        return known
    }

    /// The study uploads as a folder of hard links named by their paths, as the patient's folder was.
    static func layOut(_ uploads: [UploadRecord], in study: String, bytesPath: (String) -> String) throws(APIFailure) {
        do { try FileManager.default.createDirectory(atPath: study, withIntermediateDirectories: true) } catch {
            throw APIFailure(500, "The service could not prepare the request; try again in a moment, or call the practice.")
        }
        for upload in uploads {
            let target = study + "/" + upload.path
            let parent = (target as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            guard link(bytesPath(upload.id), target) == 0 else {
                throw APIFailure(409, "Two of the files have clashing names (a file and a folder of the same name, or names differing only in case); rename one, or leave it out, and send again.")
            }
        }
    }

    /// A pack's refusal for the patient: Core's sentence for what the patient can act on (the pack's own message
    /// speaks of command-line flags, settings and opined's codes), beside the field at fault.
    static func failure(_ error: PackError) -> APIFailure {
        if case .interrupted = error.kind { return APIFailure(503, "The service is restarting; send the request again in a minute.") }
        if let refusal = error.refusal { return APIFailure(422, refusal.patientSentence, field: refusal.field) }
        return APIFailure(500, "The request could not be built; try again in a moment, or call the practice.")
    }
}
