import Foundation

/// How `opine pack` and `opine validate` name the folder, bundle and files given on their command line in what they
/// print. Those tools run in upload services' and integrators' scripts, whose output is captured and may reach a log,
/// and uploaders name folders and bundles after patients; so, unless names are asked for (`--names`, or a person at
/// a terminal), each given path is shown as its role and the `UploadDigest` of its last component
/// (`upload-5d0f7a31c2be`, how opined's log names the same upload), and only paths inside it, the uploader's own, are
/// kept.
public struct GivenPaths: Sendable {
    /// What a given path is, which names it when it is hidden.
    public enum Role: String, Sendable {
        /// The study folder `opine pack` reads.
        case folder
        /// The bundle made or checked (an upload once in the drop directory).
        case upload
        /// The radiology report given to `opine pack`.
        case report
        /// The answers file given to `opine pack`.
        case answers
    }

    /// Whether paths are shown as given.
    public var naming: Bool
    private var roots: [(forms: [String], shown: String)] = []

    /// Nothing given yet; `naming` shows every path as given.
    public init(naming: Bool) { self.naming = naming }

    /// Adds `path`, given as `role`; a path that names nothing of its own (`.`, `..`, `/`) is left as it is.
    public mutating func add(_ path: String, as role: Role) {
        let trimmed = Self.trimmed(path)
        let name = (trimmed as NSString).lastPathComponent
        guard !["", ".", "..", "/"].contains(name) else { return }
        let shown = "\(role.rawValue)-\(UploadDigest.of(name))"
        roots.append((Self.forms(trimmed), shown))
        // `opine pack` writes its bundle under a hidden name beside it first (`.NAME.pack-…`).
        if role == .upload {
            let parent = (trimmed as NSString).deletingLastPathComponent
            roots.append((Self.forms((parent.isEmpty ? "" : parent + "/") + "." + name), "." + shown))
        }
        roots.sort { $0.forms[0].count > $1.forms[0].count }
    }

    /// `path`, given as `role`, as it is shown.
    public func shown(_ path: String, as role: Role) -> String {
        guard !naming else { return path.escapedForDisplay }
        var paths = GivenPaths(naming: false)
        paths.add(path, as: role)
        return paths.roots.last?.shown ?? path.escapedForDisplay
    }

    /// `text` with every given path (as given, escaped, or percent-encoded in a URL) replaced by how it is shown;
    /// what follows a path, the part inside it, is kept.
    public func scrub(_ text: String) -> String {
        guard !naming else { return text }
        var out = text
        for root in roots {
            for form in root.forms { out = Self.replace(form, with: root.shown, in: out) }
        }
        return out
    }

    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static func forms(_ path: String) -> [String] {
        var forms = [path, path.escapedForDisplay]
        if let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) { forms.append(encoded) }
        return Array(Set(forms)).sorted { $0.count > $1.count }
    }

    /// Replaces each occurrence of `path` that stands alone: not inside a longer name.
    private static func replace(_ path: String, with shown: String, in text: String) -> String {
        // A dot may follow (a hidden copy's `.pack-…`, an extension), but never lead into the path.
        let inName: (Character) -> Bool = { $0.isLetter || $0.isNumber || "_-~".contains($0) }
        var out = ""
        var rest = Substring(text)
        while let range = rest.range(of: path) {
            let before = range.lowerBound == rest.startIndex ? out.last : rest[rest.index(before: range.lowerBound)]
            let after = range.upperBound == rest.endIndex ? nil : rest[range.upperBound]
            let alone = !(before.map { inName($0) || $0 == "." } ?? false) && !(after.map(inName) ?? false)
            out += rest[..<range.lowerBound] + (alone ? shown : String(rest[range]))
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
