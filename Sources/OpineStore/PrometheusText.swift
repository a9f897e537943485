import Foundation

/// The Prometheus text exposition format, written by hand: a few dozen lines, where a client library would bring a
/// registry, a server and a dependency opined has no use for.
struct PrometheusText {
    private(set) var lines: [String] = []

    /// The kind of a metric family, as its `# TYPE` line names it.
    enum Kind: String {
        /// A value that goes up and down.
        case gauge
        /// A value that only goes up (its name ends in `_total`).
        case counter
    }

    /// One family: its HELP and TYPE lines, then a sample per label set (none is allowed: the family is still
    /// declared, so a rule's metric name is always found).
    mutating func family(_ name: String, _ kind: Kind, _ help: String, _ samples: [([(String, String)], Double)]) {
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) \(kind.rawValue)")
        for (labels, value) in samples {
            let set = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            lines.append("\(name)\(set) \(Self.format(value))")
        }
    }

    /// A family with a single unlabelled sample.
    mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help, [([], value)])
    }

    /// The whole exposition, newline-terminated.
    var text: String { lines.joined(separator: "\n") + "\n" }

    /// Label values escape backslash, double quote and newline, as the format requires.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers without a fraction; others with millisecond precision.
    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
