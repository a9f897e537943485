/// One problem `opine validate` finds in a bundle: the rejection opined would give (the same code and sentence), and
/// the entry or manifest field at fault when one is known, so every problem can be fixed in one pass.
public struct BundleProblem: Sendable, Equatable, Codable {
    /// The rejection code opined would record.
    public var code: Rejection.Code
    /// opined's sentence for it; never holds patient data.
    public var message: String
    /// The file or folder at fault, by its path within the bundle.
    public var entry: String?
    /// The manifest field at fault, such as `files[3].sha256`.
    public var field: String?

    /// A problem from a rejection, with the entry or field at fault when known.
    public init(_ rejection: Rejection, entry: String? = nil, field: String? = nil) {
        code = rejection.code
        message = rejection.message
        self.entry = entry
        self.field = field
    }

    /// The rejection opined would give for this problem.
    public var rejection: Rejection { Rejection(code, message) }
}

extension BundleProblem {
    /// The manifest field a rejection's message names (`manifest.json: request.symptoms[0] is …` gives
    /// `request.symptoms[0]`), or nil when it names none.
    public static func manifestField(of rejection: Rejection) -> String? {
        let prefix = "manifest.json: "
        guard rejection.message.hasPrefix(prefix) else { return nil }
        let field = rejection.message.dropFirst(prefix.count).prefix { $0 != " " }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_.[]")
        guard !field.isEmpty, field.allSatisfy({ allowed.contains($0) }) else { return nil }
        return String(field)
    }
}
