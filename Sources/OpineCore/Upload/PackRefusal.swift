/// Why a pack made no bundle, where the sender can do something about it: the closed set `opine pack` attaches to
/// its refusal, so the upload service can tell a patient in the page's words what the command line tells an
/// integrator in its own (flags, settings, opined's codes). Pure: the service only shows `patientSentence`.
public enum PackRefusal: Sendable, Equatable {
    /// Neither a DICOM image nor a report: nothing for the surgeon to review.
    case nothingToReview
    /// DICOM files, but none with a header Opine can read (opined would refuse it as `imaging_unreadable`).
    case imagingUnreadable
    /// More files than the practice takes.
    case tooManyFiles(limit: Int)
    /// One file, at `path` within the upload, larger than the practice takes.
    case fileTooLarge(path: String, limit: Int64)
    /// All the files together larger than the practice takes.
    case tooLarge(limit: Int64)
    /// The report is not a readable PDF, JPEG, PNG or text file, or has a password.
    case reportUnreadable
    /// A name opined refuses, or two names that are one to it; `path` is the first the pack met.
    case nameRefused(path: String)
    /// A file, at `path`, that is a link or special file, or changed while it was packed.
    case fileUnstable(path: String)
    /// The answers make a manifest opined refuses with `code`.
    case answersRefused(Rejection.Code)

    /// The page's field the sentence belongs beside (`files` or `report`), or nil for the page's general error.
    public var field: String? {
        switch self {
        case .reportUnreadable: "report"
        case .answersRefused: nil
        default: "files"
        }
    }

    /// What is wrong and what to do, in a patient's words: no command-line flag, setting or code, and no path but
    /// the patient's own.
    public var patientSentence: String {
        switch self {
        case .nothingToReview:
            "Nothing here is an MRI image or a report, so there is nothing for the surgeon to review. Pick the folder of the CD or disk that holds the images, or add the report."
        case .imagingUnreadable:
            "None of the MRI images could be read: the CD may be damaged, or its images are in a form the practice cannot open. Ask the imaging centre for a new copy of the CD and send it again, or call the practice."
        case .tooManyFiles(let limit):
            "There are more files than the practice takes (at most \(limit)). Pick only the folder of this MRI study."
        case .fileTooLarge(let path, let limit):
            "The file \u{2018}\(path)\u{2019} is larger than the practice takes (\(TusPolicy.size(limit))). Leave it out, or call the practice."
        case .tooLarge(let limit):
            "These files together are larger than the practice takes (\(TusPolicy.size(limit))). Pick only this MRI study."
        case .reportUnreadable:
            "The report could not be read. Pick it as a PDF, JPEG, PNG or text file, without a password."
        case .nameRefused(let path):
            "The file \u{2018}\(path)\u{2019} has a name the service cannot take (or one that clashes with another's). Rename it, or leave it out, and send again."
        case .fileUnstable(let path):
            "The file \u{2018}\(path)\u{2019} changed or could not be read while it was being sent. Pick the files again and send."
        case .answersRefused:
            "Some of the answers could not be taken. Check the page's answers and send again; if it happens again, call the practice."
        }
    }
}
