import Foundation
import OpineCore

/// What start-up repair records of a reason.json whose row was lost: nothing it has not checked again, since a person
/// or a damaged disk may have changed the file, and what it records is announced. Each field is held to the rule
/// intake wrote it by.
extension QuarantineReason {
    /// This reason as it may be recorded, or nil when its code is none of Opine's (the upload is then judged again).
    /// The id is replaced when missing (a reason.json from before rejection ids), malformed, or already held by
    /// another refusal (`isHeld`: a copied folder); a field path is cut to format field names; a submission id that
    /// breaks the manifest's rule is dropped; the entry is bounded and escaped as `Rejection` does.
    func repaired(now: Date, isHeld: (String) throws -> Bool) rethrows -> QuarantineReason? {
        guard Rejection.Code(rawValue: code) != nil else { return nil }
        var reason = self
        if let id = rejectionID, RejectionID.isValid(id), try !isHeld(id) {
            reason.rejectionID = id
        } else {
            reason.rejectionID = RejectionID.make(at: now)
        }
        reason.field = field.flatMap { ManifestFieldPath.checked(path: $0) }
        reason.submissionID = submissionID.flatMap { Manifest.isSubmissionID($0) ? $0 : nil }
        reason.entry = entry.map { Rejection.recovered(entry: $0) }
        return reason
    }
}
