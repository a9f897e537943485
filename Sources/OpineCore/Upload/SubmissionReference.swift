/// The short reference a patient quotes on the phone: 8 random Crockford base32 characters (no I, L, O or U, so it
/// is read aloud without doubt), shown as `XXXX-XXXX`; 40 bits, enough that two requests never share one in practice.
public struct SubmissionReference: Sendable, Equatable, CustomStringConvertible {
    /// Crockford's base32 alphabet.
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// The 8 characters, without the dash.
    public let characters: String

    /// A new random reference.
    public static func random() -> SubmissionReference {
        var generator = SystemRandomNumberGenerator()
        return SubmissionReference(characters: String((0..<8).map { _ in alphabet.randomElement(using: &generator)! }))
    }

    /// `XXXX-XXXX`, as shown to the patient.
    public var description: String { String(characters.prefix(4)) + "-" + String(characters.suffix(4)) }

    /// The submission id it gives: `web-` and the characters in lower case (`web-7k3m9q2d`), a valid manifest id and
    /// a name opined takes in its drop directory.
    public var submissionID: String { "web-" + characters.lowercased() }
}
