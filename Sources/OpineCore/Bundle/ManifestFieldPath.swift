/// The manifest field a rejection concerns, as a machine-readable path (`files[2].sha256`). Manifest rejections are
/// worded `manifest.json: <field path> <problem>` (ManifestFieldReader and intake's own checks), so the path is read
/// back from that form; only names of bundle format version 1 are kept, cut at the first that is not one, so a key the
/// manifest made up (or any other text from it) never leaves as a field.
public enum ManifestFieldPath {
    /// Every field name of bundle format version 1, at any depth.
    public static let names: Set<String> = [
        "version", "submission_id", "submitted_at", "supplements", "patient", "name", "date_of_birth", "email", "phone",
        "consent", "hipaa_authorization", "signed_at", "request", "regions", "question", "symptoms", "symptom_onset",
        "prior_treatments", "files", "path", "kind", "media_type", "size", "sha256",
    ]

    private static let prefix = "manifest.json: "

    /// The field path a manifest message names, or nil when it names none.
    public static func named(in message: String) -> String? {
        guard message.hasPrefix(prefix) else { return nil }
        return checked(path: message.dropFirst(prefix.count).prefix { $0 != " " })
    }

    /// `path` cut at its first component that is not a format field name (or `name[index]`), or nil when its first is
    /// not one: how a field path read back from outside (a quarantine folder's reason.json) is trusted no further.
    public static func checked(path: some StringProtocol) -> String? {
        var kept: [String] = []
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let valid = checked(Substring(component)) else { break }
            kept.append(valid)
        }
        return kept.isEmpty ? nil : kept.joined(separator: ".")
    }

    /// `name` or `name[index]` with a known name and a decimal index; nil otherwise.
    private static func checked(_ component: Substring) -> String? {
        let name = component.prefix { $0 != "[" }
        guard names.contains(String(name)) else { return nil }
        let rest = component.dropFirst(name.count)
        if rest.isEmpty { return String(component) }
        guard rest.hasPrefix("["), rest.hasSuffix("]"), rest.count > 2, rest.count <= 8,
              rest.dropFirst().dropLast().allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        return String(component)
    }
}
