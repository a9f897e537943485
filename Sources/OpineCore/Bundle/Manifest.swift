import Foundation

/// `manifest.json`, version 1, validated (docs/bundle-format.md is the specification).
public struct Manifest: Sendable, Equatable {
    /// The manifest's name at the top level of every bundle; no listed file may use it.
    public static let fileName = "manifest.json"
    /// Room for `intake.max_files` (5,000 by default) entries of about 400 bytes: a whole MRI series in one bundle.
    public static let maxBytes = 2 << 20

    /// The uploader's id (1-64 of `A-Z a-z 0-9 . _ -`): the idempotency key that finds a duplicate submission.
    public var submissionID: String
    /// When the patient submitted, as the RFC 3339 text the manifest gave.
    public var submittedAt: String
    /// Who the case is about; of it only name, email and phone ever leave Opine, to an `include_contact` endpoint.
    /// Nil only in a supplement that leaves the patient block out (the case has it).
    public var patient: Patient?
    /// When the patient signed the HIPAA authorization (RFC 3339); a manifest without consent is refused. Nil only in
    /// a supplement that leaves the consent block out (the case has it).
    public var consentSignedAt: String?
    /// Spine regions the question concerns: a non-empty subset of `regionCodes`, each once (a supplement's may be
    /// empty).
    public var regions: [String]
    /// The patient's question to the surgeon, newlines allowed; nil only in a supplement without one.
    public var question: String?
    /// The submission id of the earlier submission this bundle adds to (a supplement: more files, a follow-up
    /// question); nil for a submission of its own.
    public var supplements: String?
    /// The symptom codes in the manifest's order, each once; they set the case's priority at intake (a supplement's
    /// may be empty).
    public var symptoms: [Symptom]
    /// When the symptoms began (`YYYY-MM-DD`, not in the future), if the patient said.
    public var symptomOnset: String?
    /// Treatments already tried, a subset of `treatmentCodes`; empty when the manifest leaves the field out.
    public var priorTreatments: [String]
    /// The files the bundle must hold, exactly these and no others.
    public var files: [ListedFile]

    /// The priority the symptoms call for at intake (the most severe symptom); triage may change it later.
    public var priority: Priority { Priority(symptoms: symptoms) }

    /// The patient's identity and contact, as the manifest gave them.
    public struct Patient: Sendable, Equatable {
        /// The patient's name, 1-200 characters without control characters.
        public var name: String
        /// The birth date (`YYYY-MM-DD`, not in the future); never sent in any webhook.
        public var dateOfBirth: String
        /// The email address, if given; at least one of email and phone is.
        public var email: String?
        /// The phone number (7-15 digits), if given; at least one of email and phone is.
        public var phone: String?

        /// A patient as a manifest or a stored case gives them.
        public init(name: String, dateOfBirth: String, email: String?, phone: String?) {
            self.name = name
            self.dateOfBirth = dateOfBirth
            self.email = email
            self.phone = phone
        }
    }

    /// One entry of `files`: a file the bundle must hold, with what it must weigh and hash to.
    public struct ListedFile: Sendable, Equatable {
        /// Where the file is in the bundle: relative, `/`-separated and safe by `PathRules`.
        public var path: String
        /// One of `fileKinds`; at least one file is a radiology report or imaging.
        public var kind: String
        /// The type whose signature the file's bytes must carry.
        public var mediaType: MediaType
        /// The exact size in bytes, within the intake limits.
        public var size: Int64
        /// The SHA-256 of the file's bytes as sent, 64 lowercase hexadecimal digits.
        public var sha256: String

        /// An entry as a bundle's maker lists it (`opine pack`); intake makes its own from the manifest's text.
        public init(path: String, kind: String, mediaType: MediaType, size: Int64, sha256: String) {
            self.path = path
            self.kind = kind
            self.mediaType = mediaType
            self.size = size
            self.sha256 = sha256
        }
    }

    /// The spine regions `request.regions` may name.
    public static let regionCodes = ["cervical", "thoracic", "lumbar"]
    /// The treatments `request.prior_treatments` may name.
    public static let treatmentCodes = ["physical_therapy", "medication", "injection", "chiropractic", "surgery"]
    /// The kinds a listed file may have.
    public static let fileKinds = ["radiology_report", "imaging", "other"]
}

extension Manifest {
    /// What a strict parse of a manifest came to, with the submission id whenever the parsed JSON object carried a
    /// well-formed one: a refused upload's rejection notice names it, so the upload page can tell the patient. A
    /// manifest the strict parser refuses is never read by another parser.
    public struct Reading: Sendable {
        /// The manifest, or why it was refused.
        public var result: Result<Manifest, Rejection>
        /// The submission id, when the JSON object held a well-formed one, even if the manifest was refused.
        public var submissionID: String?
        /// A collecting read's every problem, in the order a plain read meets them (the first is `result`'s); empty
        /// for a plain read, which stops at the first.
        public var problems: [Rejection] = []
    }

    /// Parses and checks everything that can be checked without the files. `limits` bound what the files may claim.
    public static func parse(_ data: some Collection<UInt8>, limits: IntakeSettings, today: Date = Date()) throws(Rejection) -> Manifest {
        try read(data, limits: limits, today: today).result.get()
    }

    /// `parse`, keeping the submission id of a manifest that is refused after its JSON was read. `collecting` goes on
    /// past each field's problem to the next field (or `files` entry) and lists them all in `problems` (`opine
    /// validate`); the result is the same either way.
    public static func read(
        _ data: some Collection<UInt8>, limits: IntakeSettings, today: Date = Date(), collecting: Bool = false
    ) -> Reading {
        guard data.count <= maxBytes else {
            return Reading(result: .failure(Rejection(.manifestTooLarge, "manifest.json is larger than \(maxBytes >> 20) MiB")))
        }
        let root: JSONValue
        do {
            root = try StrictJSONParser.parse(data)
        } catch {
            return Reading(result: .failure(Rejection(.manifestInvalidJSON, "manifest.json \(error.message) (byte \(error.offset))")))
        }
        let reader = FieldReader(today: today, problems: collecting ? FieldReader.Problems() : nil)
        guard case .object(let members) = root else {
            return Reading(result: .failure(Rejection(.manifestInvalidJSON, "manifest.json must hold a JSON object")))
        }
        var submissionID: String?
        if case .string(let id)? = reader.optional(members, "submission_id"), isSubmissionID(id) { submissionID = id }
        do throws(Rejection) {
            return Reading(result: .success(try checked(members, reader: reader, limits: limits)), submissionID: submissionID)
        } catch {
            return Reading(result: .failure(error), submissionID: submissionID, problems: reader.problems?.list ?? [])
        }
    }

    /// Whether `id` keeps the `submission_id` field's rules (1 to 64 of A-Z a-z 0-9 . _ -): the test any submission id
    /// read from outside a full parse (a refused manifest, a quarantine folder's reason.json) must pass.
    public static func isSubmissionID(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.unicodeScalars.allSatisfy(isSubmissionIDCharacter)
    }

    /// Every field of the top-level object, in the order docs/bundle-format.md lists them. A supplement (one with
    /// `supplements`) may leave out the patient, consent and request blocks and any field of its request.
    private static func checked(_ object: [(String, JSONValue)], reader: FieldReader, limits: IntakeSettings) throws(Rejection) -> Manifest {
        try reader.attempt { () throws(Rejection) in
            try reader.onlyKeys(
                object, ["version", "submission_id", "submitted_at", "supplements", "patient", "consent", "request", "files"], at: "")
        }
        try reader.attempt { () throws(Rejection) in
            guard case .number("1") = try reader.required(object, "version", at: "") else {
                throw Rejection(.unsupportedVersion, "manifest.json: version must be 1 (this Opine reads bundle format version 1)")
            }
        }
        let submissionID = try reader.attempt { () throws(Rejection) in try Self.submissionID(object, "submission_id", reader: reader) }
        let submittedAt = try reader.attempt { () throws(Rejection) in try reader.timestamp(object, "submitted_at", at: "") }
        let supplements = try reader.attempt { () throws(Rejection) -> String? in
            reader.optional(object, "supplements") == nil ? nil : try Self.submissionID(object, "supplements", reader: reader)
        } ?? nil
        // A supplement may reuse the submission id it adds to (an upload page's follow-up in the same session).
        let isSupplement = supplements != nil
        let patient = try reader.attempt { () throws(Rejection) -> Patient? in
            isSupplement && reader.optional(object, "patient") == nil ? nil : try Self.patient(object, reader: reader)
        } ?? nil
        let consentSignedAt = try reader.attempt { () throws(Rejection) -> String? in
            isSupplement && reader.optional(object, "consent") == nil ? nil : try Self.consent(object, reader: reader)
        } ?? nil
        let request = try reader.attempt { () throws(Rejection) in try Self.requestFields(object, reader: reader, isSupplement: isSupplement) }
        let files = try reader.attempt { () throws(Rejection) in try reader.files(object, limits: limits, supplement: isSupplement) }
        if isSupplement, files?.isEmpty == true, request?.isEmpty == true {
            try reader.attempt { () throws(Rejection) in
                throw reader.invalid("files", "must list at least one file, or the request say something new: a supplement brings something")
            }
        }
        // Only a collecting read gets here with a problem noted: it ends with the first, as a plain read does.
        if let first = reader.problems?.list.first { throw first }
        guard let submissionID, let submittedAt, let request, let files else { throw reader.invalid("", "could not be read") }
        return Manifest(
            submissionID: submissionID, submittedAt: submittedAt, patient: patient, consentSignedAt: consentSignedAt,
            regions: request.regions, question: request.question, supplements: supplements, symptoms: request.symptoms,
            symptomOnset: request.onset, priorTreatments: request.treatments, files: files)
    }

    /// The `request` block's fields; in a supplement the block and each field may be left out.
    private struct RequestFields {
        var regions: [String] = []
        var question: String?
        var symptoms: [Symptom] = []
        var onset: String?
        var treatments: [String] = []
        /// The block was left out or empty (a supplement must then bring files).
        var isEmpty = true
    }

    private static func requestFields(_ object: [(String, JSONValue)], reader: FieldReader, isSupplement: Bool) throws(Rejection) -> RequestFields {
        let request: [(String, JSONValue)] = isSupplement && reader.optional(object, "request") == nil
            ? [] : try reader.object(try reader.required(object, "request", at: ""), at: "request")
        try reader.attempt { () throws(Rejection) in
            try reader.onlyKeys(request, ["regions", "question", "symptoms", "symptom_onset", "prior_treatments"], at: "request")
        }
        let optional = { (key: String) in isSupplement && reader.optional(request, key) == nil }
        var fields = RequestFields(isEmpty: request.isEmpty)
        try reader.attempt { () throws(Rejection) in
            if !optional("regions") { fields.regions = try reader.codes(request, "regions", at: "request", allowed: regionCodes, nonEmpty: !isSupplement) }
        }
        try reader.attempt { () throws(Rejection) in
            if !optional("question") { fields.question = try reader.text(request, "question", at: "request", length: 1...4000, multiline: true) }
        }
        try reader.attempt { () throws(Rejection) in
            if !optional("symptoms") { fields.symptoms = try symptoms(request, reader: reader) }
        }
        try reader.attempt { () throws(Rejection) in
            fields.onset = try reader.date(request, "symptom_onset", at: "request", inPast: true, optional: true)
        }
        try reader.attempt { () throws(Rejection) in
            if request.contains(where: { $0.0 == "prior_treatments" }) {
                fields.treatments = try reader.codes(request, "prior_treatments", at: "request", allowed: treatmentCodes, nonEmpty: false)
            }
        }
        return fields
    }

    private static func submissionID(_ object: [(String, JSONValue)], _ key: String, reader: FieldReader) throws(Rejection) -> String {
        let id = try reader.string(object, key, at: "", length: 1...64)
        guard id.unicodeScalars.allSatisfy(isSubmissionIDCharacter) else { throw reader.invalid(key, "must use only A-Z a-z 0-9 . _ -") }
        return id
    }

    private static func consent(_ object: [(String, JSONValue)], reader: FieldReader) throws(Rejection) -> String {
        let consentObject = try reader.object(try reader.required(object, "consent", at: ""), at: "consent")
        try reader.onlyKeys(consentObject, ["hipaa_authorization", "signed_at"], at: "consent")
        guard case .bool(true)? = consentObject.first(where: { $0.0 == "hipaa_authorization" })?.1 else {
            throw Rejection(.consentMissing, "manifest.json: consent.hipaa_authorization must be true; the practice cannot review without it")
        }
        return try reader.timestamp(consentObject, "signed_at", at: "consent")
    }

    private static func patient(_ object: [(String, JSONValue)], reader: FieldReader) throws(Rejection) -> Patient {
        let patientObject = try reader.object(try reader.required(object, "patient", at: ""), at: "patient")
        try reader.onlyKeys(patientObject, ["name", "date_of_birth", "email", "phone"], at: "patient")
        let patient = Patient(
            name: try reader.text(patientObject, "name", at: "patient", length: 1...200),
            dateOfBirth: try reader.date(patientObject, "date_of_birth", at: "patient", inPast: true)!,
            email: try reader.email(patientObject, at: "patient"),
            phone: try reader.phone(patientObject, at: "patient"))
        guard patient.email != nil || patient.phone != nil else {
            throw reader.invalid("patient", "needs an email or a phone number so the practice can reply")
        }
        return patient
    }

    /// The symptom codes in order, each once; an unknown code has its own rejection code.
    private static func symptoms(_ request: [(String, JSONValue)], reader: FieldReader) throws(Rejection) -> [Symptom] {
        var symptoms: [Symptom] = []
        for (index, item) in try reader.array(try reader.required(request, "symptoms", at: "request"), at: "request.symptoms").enumerated() {
            guard case .string(let code) = item else { throw reader.invalid("request.symptoms[\(index)]", "must be a string") }
            guard let symptom = Symptom(rawValue: code) else {
                throw Rejection(.unknownSymptom, "manifest.json: request.symptoms[\(index)] is not a known symptom code (docs/bundle-format.md lists them)")
            }
            if !symptoms.contains(symptom) { symptoms.append(symptom) }
        }
        return symptoms
    }

    static func isSubmissionIDCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
    }
}
