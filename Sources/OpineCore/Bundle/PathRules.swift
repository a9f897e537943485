import Foundation

/// The rules every path inside a bundle must follow, whether it comes from the manifest, a directory listing or a
/// zip entry: a relative, `/`-separated name that cannot climb out, hide, or disguise itself.
public enum PathRules {
    /// The most components a path may have, so a bundle cannot bury files in deep trees.
    public static let maxDepth = 8
    /// The longest a whole path may be, in UTF-8 bytes.
    public static let maxBytes = 255

    /// nil when the path is acceptable, otherwise what is wrong with it (the path itself is not repeated).
    public static func problem(with path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.utf8.count > maxBytes { return "is longer than \(maxBytes) bytes" }
        if path.hasPrefix("/") { return "is absolute; paths must be relative to the bundle" }
        if path.contains("\\") { return "contains a backslash; separate directories with /" }
        for scalar in path.unicodeScalars where isForbidden(scalar) {
            return "contains the control or bidirectional character U+\(String(format: "%04X", scalar.value))"
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > maxDepth { return "is nested deeper than \(maxDepth) levels" }
        for component in components {
            if component.isEmpty { return "has an empty component (// or a trailing /)" }
            if component == ".." || component == "." { return "contains '\(component)'" }
            if component.hasPrefix(".") { return "has a hidden component (starting with '.')" }
        }
        return nil
    }

    /// Two names that would be the same file on a case-insensitive or normalizing file system (macOS, Windows)
    /// share this key; a bundle with two such names is refused so no reviewer ever opens the wrong one.
    public static func collisionKey(_ path: String) -> String {
        path.precomposedStringWithCanonicalMapping.lowercased()
    }

    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidi marks, embeddings, isolates
        default: false
        }
    }
}
