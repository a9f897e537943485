/// What marks a name in the drop directory as an upload still being written, by the conventions of upload tools and
/// browsers: opined never looks at such a name (`ReadinessPolicy.isInProgressName`), so a bundle given one waits for
/// ever. `opine pack` refuses to make one and `opine validate` reports it.
public enum InProgressMark: String, Sendable, CaseIterable {
    /// A leading dot: a hidden name, as an upload tool's temporary one.
    case hidden = "."
    /// A trailing `~`: an editor's or tool's backup.
    case tilde = "~"
    /// `.part`, `.tmp`, `.partial`, `.crdownload` at the end (any case): a transfer in progress.
    case part = ".part", tmp = ".tmp", partial = ".partial", crdownload = ".crdownload"

    /// The mark `name` carries, or nil when opined looks at it.
    public static func of(_ name: String) -> InProgressMark? {
        if name.hasPrefix(".") { return .hidden }
        if name.hasSuffix("~") { return .tilde }
        let lower = name.lowercased()
        return [InProgressMark.part, .tmp, .partial, .crdownload].first { lower.hasSuffix($0.rawValue) }
    }

    /// Why opined never takes the name, and what to name it instead; never repeats the name itself.
    public var sentence: String {
        let mark = self == .hidden ? "starts with a dot, which marks a hidden file" : "ends in \(rawValue), which marks an upload still being written"
        return "the name \(mark), and opined never looks at such a name; give the bundle a name that does not start with . "
            + "or end in ~, .part, .tmp, .partial or .crdownload"
    }
}
