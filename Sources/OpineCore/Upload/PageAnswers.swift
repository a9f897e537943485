import Foundation

/// The answers the request page sends to `submit` (the manifest's `patient`, `consent` and `request` blocks) made
/// into an answers file for `PackAnswers`: the service adds the submission id, the time of submission and the
/// consent's signing time, and checks them by the manifest's own rules, so a bundle it makes is never refused for them.
public enum PageAnswers {
    /// Why the answers cannot be used: a status (400 malformed, 422 invalid), a sentence, and the field at fault.
    public struct Refusal: Error, Sendable, Equatable {
        /// 400 or 422.
        public var status: Int
        /// The problem and its fix; never a value the patient typed.
        public var sentence: String
        /// The form field at fault (`consent`, `patient.email`), when there is one.
        public var field: String?
    }

    /// The upload ids the page lists under `uploads` (the files the patient picked this time), nil when it lists
    /// none; 400 when `uploads` is not an array of upload ids.
    public static func listedUploads(_ data: some Collection<UInt8>) -> Result<[String]?, Refusal> {
        guard let root = try? StrictJSONParser.parse(data), case .object(let members) = root else {
            return .failure(Refusal(status: 400, sentence: "The answers did not arrive as one JSON object; reload the page and send them again.", field: nil))
        }
        guard let listed = members.first(where: { $0.0 == "uploads" })?.1 else { return .success(nil) }
        guard case .array(let items) = listed else { return .failure(notAList) }
        var ids: [String] = []
        for item in items {
            guard case .string(let id) = item else { return .failure(notAList) }
            ids.append(id)
        }
        return .success(ids)
    }

    private static let notAList = Refusal(
        status: 400, sentence: "The list of files sent (uploads) is not a list of upload ids; reload the page and send again.", field: nil)

    /// The answers file's bytes for `PackAnswers.parse`, or why the page's answers are refused.
    public static func compose(
        _ data: some Collection<UInt8>, submissionID: String, now: Date, limits: IntakeSettings
    ) -> Result<[UInt8], Refusal> {
        guard let root = try? StrictJSONParser.parse(data), case .object(let members) = root else {
            return .failure(Refusal(status: 400, sentence: "The answers did not arrive as one JSON object; reload the page and send them again.", field: nil))
        }
        if let stray = members.first(where: { !["patient", "consent", "request", "uploads"].contains($0.0) }) {
            let named = ManifestFieldPath.names.contains(stray.0) ? stray.0 : nil
            return .failure(Refusal(status: 422, sentence: "The answers may hold only patient, consent and request; reload the page and send them again.", field: named))
        }
        guard case .object(var consent)? = members.first(where: { $0.0 == "consent" })?.1,
            consent.contains(where: { $0.0 == "hipaa_authorization" && $0.1 == .bool(true) })
        else {
            return .failure(Refusal(status: 422, sentence: "Please read the consent and tick the box to agree: the practice cannot look at your images without it.", field: "consent.hipaa_authorization"))
        }
        consent.removeAll { $0.0 == "signed_at" }
        consent.append(("signed_at", .string(Timestamps.format(now))))
        var top: [(String, JSONValue)] = [("submission_id", .string(submissionID)), ("submitted_at", .string(Timestamps.format(now)))]
        for member in members where member.0 != "uploads" { top.append(member.0 == "consent" ? ("consent", .object(consent)) : member) }
        var out: [UInt8] = []
        JSONWriter.write(.object(top), into: &out, indent: 0)
        do { _ = try PackAnswers.parse(out, limits: limits, now: now, newID: { submissionID }) } catch {
            let fault = error.faults[0]
            let text = fault.text.hasPrefix("answers: ") ? String(fault.text.dropFirst(9)) : fault.text
            return .failure(Refusal(status: 422, sentence: "Please check the form: \(text).", field: fault.field))
        }
        return .success(out)
    }
}
