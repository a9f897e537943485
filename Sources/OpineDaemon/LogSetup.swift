import Foundation
import Logging
import OpineConfiguration
import OpineCore
import OpineDelivery
import OpineIntake
import OpineStore

/// One line per event on stderr: `<level> <message> key=value …`. Messages and metadata carry case ids, codes and
/// counts, never patient data; anything taken from an upload is escaped before it gets here.
public struct LineLogHandler: LogHandler {
    /// Metadata added to every line this handler writes.
    public var metadata: Logger.Metadata = [:]
    /// The least severe level written (`logging.level`).
    public var logLevel: Logger.Level
    private let label: String
    /// Under systemd, stderr goes to the journal: a `<N>` syslog prefix sets each line's priority, and journald
    /// adds its own timestamp.
    private let forJournal: Bool

    /// A handler for `label`; the journal format is used when `JOURNAL_STREAM` says stderr goes to journald.
    public init(label: String, level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        self.logLevel = level
        forJournal = environment["JOURNAL_STREAM"] != nil
    }

    /// One metadata value of the handler, as swift-log requires.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line to stderr: level, label, message, then the metadata sorted by key and escaped.
    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        var line = forJournal
            ? "<\(Self.syslogPriority(event.level))>\(event.level.rawValue) \(label): \(event.message)"
            : "\(Timestamps.format(Date())) \(event.level.rawValue) \(label): \(event.message)"
        for key in merged.keys.sorted() {
            let value = "\(merged[key]!)".escapedForDisplay
            line += " \(key)=" + (value.utf8.contains(0x20) ? value.replacing(" ", with: "\\x20") : value)
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

extension LineLogHandler {
    /// sd-daemon(3) priorities.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

extension LogLevel {
    /// The swift-log level of the same name.
    public var loggerLevel: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
