import Foundation
import Logging

/// One line per event on stderr: `<level> <message> key=value …`. Messages and metadata carry case ids, codes and
/// counts, never patient data; anything taken from an upload is escaped before it gets here.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        var line = "\(Timestamps.format(Date())) \(event.level.rawValue) \(label): \(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\("\(merged[key]!)".escapedForDisplay.replacingOccurrences(of: " ", with: "\\x20"))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

extension LogLevel {
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
