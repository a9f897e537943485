/// What a patient's status page says of a submission, in plain words: a function of the status the service keeps,
/// whether the request is an emergency, and for a refusal opined's code and the file or field it named. Pure, so the
/// page and its tests say the same thing; the service only renders it.
public struct PatientStatusWords: Sendable, Equatable {
    /// How the page presents the status.
    public enum Tone: String, Sendable {
        /// On its way, nothing for the patient to do.
        case progress
        /// The practice is waiting for the patient.
        case needsPatient = "needs_patient"
        /// Finished.
        case done
        /// Refused: the patient must send again.
        case problem
    }

    /// The status in a few words (the page's heading).
    public var headline: String
    /// What it means and what happens next, one paragraph each.
    public var paragraphs: [String]
    /// Shown first and prominently on an emergency: go to an emergency department, the request is seen first.
    public var emergencyNotice: String?
    /// How the page presents it.
    public var tone: Tone
    /// Whether the page offers "Send it again" (back to the request page).
    public var offersSendAgain: Bool
    /// Whether the page offers "Add files to this request" (a supplement): not for a refused or closed request.
    public var offersAddFiles: Bool

    /// The words for `status`; `refusalCode` and `refusalEntry` are opined's rejection code and the file or field it
    /// named (the path the patient's own upload gave it), used only for `refused`.
    public init(status: PatientStatus, emergency: Bool, refusalCode: String? = nil, refusalEntry: String? = nil) {
        emergencyNotice = emergency && ![.answered, .withdrawn, .refused].contains(status) ? Self.emergencyWords : nil
        offersSendAgain = status == .refused
        offersAddFiles = status.takesSupplements
        switch status {
        case .sent:
            headline = "Sent"
            paragraphs = ["Your request has arrived at the practice's service and is being checked. This page changes as soon as it is taken in."]
            tone = .progress
        case .received:
            headline = emergency ? "Received — emergency, seen first" : "Received"
            paragraphs = [
                emergency
                    ? "The practice has your request and images, marked as an emergency: a surgeon looks at it before any other."
                    : "The practice has your request and images. A spine surgeon will review them.",
            ]
            tone = .progress
        case .beingReviewed:
            headline = "Being reviewed"
            paragraphs = ["A spine surgeon is reviewing your images and your question."]
            tone = .progress
        case .moreInformationRequested:
            headline = "More information requested"
            paragraphs = ["The surgeon needs more information from you. The practice will contact you by e-mail or phone to say what is needed."]
            tone = .needsPatient
        case .answered:
            headline = "Answered"
            paragraphs = [
                "The surgeon has answered your question. The letter comes to you through the practice's own channel (by e-mail, post or its patient portal), not on this page.",
                "If it has not reached you within a few days, call the practice and quote your reference.",
            ]
            tone = .done
        case .withdrawn:
            headline = "Closed"
            paragraphs = ["This request was closed without an answer. If you did not ask for that, call the practice and quote your reference."]
            tone = .done
        case .refused:
            headline = "Not accepted — please send it again"
            paragraphs = [Self.refusal(code: refusalCode.flatMap(Rejection.Code.init(rawValue:)), entry: refusalEntry), Self.resendAdvice]
            tone = .problem
        }
    }

    /// The advice shown on every emergency, on the page as soon as a red-flag symptom is ticked and on the status page.
    public static let emergencyWords =
        "The symptoms you ticked can mean a nerve emergency. Go to an emergency department now; do not wait for our answer. "
        + "Your request is marked as an emergency and will be seen first."

    static let resendAdvice = "The surgeon cannot review the request as it arrived. Use \u{201C}Send it again\u{201D} to fill in the page and pick your files once more."

    /// A refusal the patient can act on: what was wrong, naming the file when opined named one, and what to do.
    static func refusal(code: Rejection.Code?, entry: String?) -> String {
        let file = entry.map { "the file \u{2018}\($0)\u{2019}" } ?? "one of the files"
        let subject = file.prefix(1).uppercased() + file.dropFirst()
        switch code {
        case .checksumMismatch, .sizeMismatch, .missingFile, .incomplete:
            return "\(subject) arrived damaged or incomplete: please upload it again."
        case .contentTypeMismatch, .imagingUnreadable:
            return entry == nil
                ? "The MRI images could not be read. Pick the folder of the CD or disk that holds the images and send again."
                : "\(subject) could not be read as what it claims to be: please pick it again from the CD or disk, or leave it out."
        case .fileEncrypted:
            return "\(subject) is protected by a password, so the surgeon could not open it: save it without a password and send again."
        case .limitExceeded:
            return "The request is too large or has too many files. Send only the MRI study and its report."
        case .zipInvalid, .zipEncrypted, .zipBomb:
            return "The zip file could not be opened. Pick the folder itself instead of a zip, or make the zip again without a password."
        case .unsafePath, .duplicateName, .specialFile:
            return "\(subject) has a name or form the service cannot take. Rename it (letters, digits, spaces, dots and dashes), or leave it out, and send again."
        case .consentMissing:
            return "The consent was not given. Tick the consent box on the page and send again."
        case .submissionReused:
            return "This request was sent before with other files. Call the practice and quote your reference, or send it again as a new request."
        default:
            return "The request could not be taken in as it was sent."
        }
    }
}
