import Foundation

extension Manifest {
    /// The submission id of a manifest that is refused, or belongs to a refused upload, so the refusal can still be
    /// matched to its upload. Only from the manifest's own `submission_id` field, only when the strict JSON parser
    /// reads the whole document (no second, laxer parser ever reads it) and only when the id keeps that field's rules;
    /// every other field may be wrong. `limits` are intake's own, so the read is the one intake makes.
    public static func lenientSubmissionID(_ data: some Collection<UInt8>, limits: IntakeSettings, today: Date) -> String? {
        read(data, limits: limits, today: today).submissionID
    }
}
