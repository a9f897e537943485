#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import OpineCore

/// One submission as the service remembers it: enough to find it from its status link and from opined's webhooks,
/// and what the status page shows. No patient name, birth date, contact or free text: those went into the bundle.
struct SubmissionRecord: Codable, Sendable, Equatable {
    /// The service's submission id (the manifest's `submission_id`).
    var submissionID: String
    /// The short reference the patient quotes on the phone (`7K3M-9Q2D`).
    var reference: String
    /// The bundle's name in the drop directory.
    var bundleName: String
    /// `UploadDigest` of that name, which `bundle.rejected` carries as `upload_digest`.
    var uploadDigest: String
    /// Whether the symptoms ticked make it an emergency (seen first).
    var emergency: Bool
    /// When it was submitted.
    var submittedAt: Date
    /// What became of it.
    var status: PatientStatus
    /// When `status` last changed (or the record was made).
    var updatedAt: Date
    /// For `refused`: the rejection code opined gave (`checksum_mismatch`, …).
    var refusalCode: String?
    /// For `refused`: the file's path within the upload or the field at fault, when opined named one.
    var refusalEntry: String?
    /// For `refused`: opined's rejection id, for the practice to find it.
    var rejectionID: String?
    /// The id of the last webhook applied, so a redelivery is applied once.
    var lastWebhookID: String?
    /// When the last applied webhook's event happened at opined, so an older one never overwrites it.
    var lastEventAt: Date?
    /// How many supplements (files added from the status page) were numbered for it: the next is `-s` and one more.
    var supplementsNumbered: Int?
}

/// The submissions' records, one JSON file each under `submissions/`, and the status links: a file per link under
/// `tokens/` named by the SHA-256 of the link's token, holding the submission id, so the token itself is never stored;
/// and under `digests/` a file per bundle name's `UploadDigest` holding the submission id, so a `bundle.rejected`
/// that carries no submission id still finds its submission.
actor SubmissionBook {
    let layout: StateLayout

    init(layout: StateLayout) {
        self.layout = layout
    }

    /// Stores a new submission and its status link's token (only the token's hash is written).
    func create(_ record: SubmissionRecord, token: String) throws {
        try StateFiles.write(record, to: recordPath(record.submissionID))
        try StateFiles.writeBytes(Array(record.submissionID.utf8), to: layout.tokens + "/" + Self.tokenHash(token))
        if Self.isDigest(record.uploadDigest) {
            try StateFiles.writeBytes(Array(record.submissionID.utf8), to: layout.digests + "/" + record.uploadDigest)
        }
    }

    /// Adds another status link to a submission (a repeated submit's fresh token; only its hash is written).
    func addToken(_ token: String, submissionID: String) throws {
        try StateFiles.writeBytes(Array(submissionID.utf8), to: layout.tokens + "/" + Self.tokenHash(token))
    }

    /// Removes a submission whose bundle never reached the drop directory, with its status link and digest file.
    func discard(_ record: SubmissionRecord, token: String) {
        unlink(layout.tokens + "/" + Self.tokenHash(token))
        if Self.isDigest(record.uploadDigest) { unlink(layout.digests + "/" + record.uploadDigest) }
        unlink(recordPath(record.submissionID))
    }

    /// The submission whose bundle's name has this `UploadDigest`, or nil.
    func record(uploadDigest: String) throws -> SubmissionRecord? {
        guard Self.isDigest(uploadDigest), let data = FileManager.default.contents(atPath: layout.digests + "/" + uploadDigest) else { return nil }
        guard let record = try record(id: String(decoding: data, as: UTF8.self)), record.uploadDigest == uploadDigest else { return nil }
        return record
    }

    /// The submission a status link's token opens, or nil (unknown, mistyped or expired).
    func record(token: String) throws -> SubmissionRecord? {
        guard token.utf8.count >= 22, token.utf8.count <= 64, token.utf8.allSatisfy(Self.isBase64URL) else { return nil }
        guard let data = FileManager.default.contents(atPath: layout.tokens + "/" + Self.tokenHash(token)) else { return nil }
        return try record(id: String(decoding: data, as: UTF8.self))
    }

    /// The submission with this id, or nil.
    func record(id: String) throws -> SubmissionRecord? {
        guard Self.isSubmissionID(id) else { return nil }
        return try StateFiles.read(SubmissionRecord.self, from: recordPath(id))
    }

    /// Replaces a submission's record with what `change` makes of it; nil when there is no such submission.
    @discardableResult
    func update(id: String, _ change: (inout SubmissionRecord) -> Void) throws -> SubmissionRecord? {
        guard var record = try record(id: id) else { return nil }
        let before = record
        change(&record)
        if record != before { try StateFiles.write(record, to: recordPath(id)) }
        return record
    }

    /// A new status link token: 32 random bytes (256 bits), base64url without padding.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The hex SHA-256 of a token: the name its file is stored under.
    static func tokenHash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(token.utf8)))
    }

    /// `UploadDigest.length` lowercase hexadecimal digits: safe as a file name.
    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == UploadDigest.length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    func recordPath(_ id: String) -> String { layout.submissions + "/" + id + ".json" }

    /// A byte of base64url's alphabet (`A-Z a-z 0-9 - _`): what status-link and CSRF tokens are made of.
    static func isBase64URL(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
    }

    /// 1–64 of `A-Z a-z 0-9 . _ -`, not starting with a dot: safe as a file name.
    static func isSubmissionID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && !id.hasPrefix(".")
            && id.utf8.allSatisfy { isBase64URL($0) || $0 == 0x2E }
    }
}
