/// What a patient's status page says became of a submission, as opined's webhooks report it. The upload service keeps
/// the latest per submission; `PatientStatusPolicy` (to come) decides it from each webhook.
public enum PatientStatus: String, Codable, Sendable, CaseIterable {
    /// The bundle is in the drop directory; opined has not reported on it yet.
    case sent
    /// opined made it a case (`case.received`).
    case received
    /// A surgeon is reviewing it (`case.triaged`, `case.reviewed`).
    case beingReviewed = "being_reviewed"
    /// The practice asked the patient for more (`case.information_requested`).
    case moreInformationRequested = "more_information_requested"
    /// The practice answered (`case.responded`); the letter goes through the practice's own channel.
    case answered
    /// The request was closed without an answer (`case.withdrawn`).
    case withdrawn
    /// opined refused the upload (`bundle.rejected`); the refusal says why and what to do.
    case refused
}
