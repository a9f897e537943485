/// One problem `opine validate` finds in a bundle: the rejection opined would give (the same code and sentence), and
/// the entry or manifest field at fault when one is known, so every problem can be fixed in one pass.
public struct BundleProblem: Sendable, Equatable, Codable {
    /// The rejection code opined would record.
    public var code: Rejection.Code
    /// opined's sentence for it; never holds patient data.
    public var message: String
    /// The file or folder at fault, by its path within the bundle (escaped for display).
    public var entry: String?
    /// The manifest field at fault, such as `files[3].sha256`.
    public var field: String?

    /// A problem from a rejection, with the entry and field it names; `entry` and `field` stand in where it names none
    /// (a manifest's problem is `manifest.json`'s).
    public init(_ rejection: Rejection, entry: String? = nil, field: String? = nil) {
        code = rejection.code
        message = rejection.message
        self.entry = rejection.entry ?? entry?.escapedForDisplay
        self.field = rejection.field ?? field
    }
}
