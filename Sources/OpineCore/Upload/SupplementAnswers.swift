import Foundation

/// What the add-files page (`GET /add/TOKEN`) sends to `POST /api/drafts/ID/supplement`: the status link's token of
/// the request the files are added to, and optionally the manifest's `request` block (the page sends only a note, as
/// `request.question`). Made into a supplement's answers file for `PackAnswers`: the service adds the new submission
/// id, the time and `supplements`; no patient or consent block (the case has them).
public struct SupplementAnswers: Sendable {
    /// The keys the body may hold.
    public static let keys = ["supplements_token", "request", "uploads"]

    /// The status link's token of the request the files are added to; never logged.
    public var token: String
    /// The `request` block, when the page sent one.
    var request: JSONValue?

    /// Whether the patient sent a note or anything else in the request block (a supplement without files needs it).
    public var saysSomething: Bool {
        if case .object(let fields)? = request { return !fields.isEmpty }
        return false
    }

    /// Reads the body, or says why it cannot be used (400: the page is broken or old).
    public static func read(_ data: some Collection<UInt8>) -> Result<SupplementAnswers, PageAnswers.Refusal> {
        let reload = "reload the page from your status link and send again."
        guard let root = try? StrictJSONParser.parse(data), case .object(let members) = root else {
            return .failure(PageAnswers.Refusal(status: 400, sentence: "The files to add did not arrive as expected; " + reload, field: nil))
        }
        guard members.allSatisfy({ keys.contains($0.0) }) else {
            return .failure(PageAnswers.Refusal(status: 400, sentence: "The page sent more than files and a note; " + reload, field: nil))
        }
        guard case .string(let token)? = members.first(where: { $0.0 == "supplements_token" })?.1, !token.isEmpty else {
            return .failure(PageAnswers.Refusal(status: 400, sentence: "The page did not say which request the files are for; " + reload, field: nil))
        }
        return .success(SupplementAnswers(token: token, request: members.first { $0.0 == "request" }?.1))
    }

    /// The answers file's bytes for `PackAnswers.parse`: a supplement of `supplements` under `submissionID`, or why the
    /// request block is refused (422, with the field at fault).
    public func compose(submissionID: String, supplements: String, now: Date, limits: IntakeSettings) -> Result<[UInt8], PageAnswers.Refusal> {
        var top: [(String, JSONValue)] = [
            ("submission_id", .string(submissionID)), ("submitted_at", .string(Timestamps.format(now))), ("supplements", .string(supplements)),
        ]
        if let request { top.append(("request", request)) }
        var out: [UInt8] = []
        JSONWriter.write(.object(top), into: &out, indent: 0)
        do { _ = try PackAnswers.parse(out, limits: limits, now: now, newID: { submissionID }) } catch {
            let fault = error.faults[0]
            let text = fault.text.hasPrefix("answers: ") ? String(fault.text.dropFirst(9)) : fault.text
            return .failure(PageAnswers.Refusal(status: 422, sentence: "Please check the note: \(text).", field: fault.field))
        }
        return .success(out)
    }

    /// The submission id of the `number`th supplement (from 1) to `original`: `web-7k3m9q2d-s1`, so the practice sees
    /// at once which request it adds to; nil when it would pass the manifest's 64 characters.
    public static func submissionID(supplementing original: String, number: Int) -> String? {
        let id = original + "-s" + String(number)
        return Manifest.isSubmissionID(id) ? id : nil
    }
}

extension PatientStatus {
    /// Whether a patient may add files to a request in this status: not to a refused one (it is sent again whole) nor
    /// to a closed one (opined refuses a supplement to a withdrawn case).
    public var takesSupplements: Bool { self != .refused && self != .withdrawn }
}
