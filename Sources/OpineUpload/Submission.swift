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
/// staging folder (study files laid out by hard link, then `Packer.pack`, which recomputes every size and SHA-256,
/// sniffs every type and writes the manifest), renames it into the drop directory in one step, records the
/// submission and answers with the reference and the private links. Never logs the answers or a path.
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
        _ = try await parts.uploads.draft(draft, binding: binding)
        let reference = SubmissionReference.random()
        let id = reference.submissionID
        let now = Date()
        let answers: [UInt8]
        switch PageAnswers.compose(body.readableBytesView, submissionID: id, now: now, limits: intakeLimits) {
        case .success(let bytes): answers = bytes
        case .failure(let refusal): throw APIFailure(refusal.status, refusal.sentence, field: refusal.field)
        }
        let result = try await send(draft, binding: binding, id: id, answers: answers, now: now)
        let token = SubmissionBook.newToken()
        let record = SubmissionRecord(
            submissionID: id, reference: reference.description, bundleName: id, uploadDigest: UploadDigest.of(id),
            emergency: result.priority == .emergency, submittedAt: now, status: .sent, updatedAt: now)
        do { try await parts.submissions.create(record, token: token) } catch {
            // The bundle is in the drop directory and will be reviewed; only its status link is lost.
            parts.logger.error("a submission's record could not be stored", metadata: ["submission": "\(id)"])
        }
        parts.logger.notice("submitted", metadata: ["submission": "\(id)", "files": "\(result.files.count)", "emergency": "\(record.emergency)"])
        return APIFailure.json(Answer(reference: reference.description, receipt_url: "/receipt/" + token, status_url: "/status/" + token), status: .created)
    }

    /// opined's limits as far as the service knows them: its defaults, with the service's own caps.
    var intakeLimits: IntakeSettings {
        var limits = IntakeSettings()
        limits.maxFiles = parts.settings.limits.maxFiles
        limits.maxFileBytes = parts.settings.limits.maxFileBytes
        limits.maxBundleBytes = parts.settings.limits.maxRequestBytes
        return limits
    }

    /// Claims the draft's complete uploads, builds the bundle `id` from them and renames it into the drop directory;
    /// the draft and its uploads are removed once the bundle is there, and released for another try when it is not.
    func send(_ draft: String, binding: String?, id: String, answers: [UInt8], now: Date) async throws -> Packer.Result {
        let uploads = try await parts.uploads.beginSubmit(draft, binding: binding)
        let result: Packer.Result
        do {
            result = try await build(id: id, uploads: uploads, answers: answers, now: now)
        } catch {
            await parts.uploads.endSubmit(draft, sent: false)
            throw error
        }
        await parts.uploads.endSubmit(draft, sent: true)
        return result
    }

    /// Builds the bundle in `staging/bundles/<id>` and renames it into the drop directory; the staging folder goes
    /// whatever happens.
    private func build(id: String, uploads: [UploadRecord], answers: [UInt8], now: Date) async throws -> Packer.Result {
        let folder = parts.layout.bundles + "/" + id
        let study = folder + "/study"
        let drop = parts.settings.dropDirectory
        let bytesPath = parts.uploads.bytesPath
        let limits = intakeLimits
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome: Result<Packer.Result, APIFailure> = try await Offload.run(on: Self.queue) {
            do throws(APIFailure) {
                try Self.layOut(uploads.filter { $0.role == TusMetadata.Role.study.rawValue }, in: study, bytesPath: bytesPath)
                let report = uploads.first { $0.role == TusMetadata.Role.report.rawValue }.map { bytesPath($0.id) }
                var request = Packer.Request(folder: study, answers: answers, report: report, output: folder + "/" + id, limits: limits)
                request.stopsOnSignals = false
                // The uploads are finished, durable and on the drop directory's file system: read once, never copied.
                request.linksFiles = true
                let result: Packer.Result
                do throws(PackError) { result = try Packer.pack(request, now: now) } catch { throw Self.failure(error) }
                guard renameat2(AT_FDCWD, result.output, AT_FDCWD, drop + "/" + id, OPINE_RENAME_NOREPLACE) == 0 else {
                    throw APIFailure(500, "The request could not be handed to the practice; try again in a moment, or call the practice.")
                }
                try? StateFiles.syncFolder(drop)
                return .success(result)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
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
