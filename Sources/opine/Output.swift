import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// Text for people (aligned columns) and JSON for scripts; errors go to stderr.
enum Output {
    /// Writes one line to stdout.
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `opine: message` to stderr.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("opine: \(message)\n".utf8))
    }

    /// The one encoder every `--json` output goes through, so all are alike: keys sorted, slashes unescaped, one line.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Writes `value` as one line of JSON to stdout, or to stderr for errors (the `*Output` types in Outputs/).
    static func json(_ value: some Encodable, toStandardError: Bool = false) throws {
        let data = try encoder.encode(value)
        let handle = toStandardError ? FileHandle.standardError : FileHandle.standardOutput
        handle.write(data + Data("\n".utf8))
    }

    /// Columns padded to their widest cell; every cell is escaped so upload-supplied text cannot drive the terminal.
    static func table(_ header: [String], _ rows: [[String]]) {
        let cells = ([header] + rows).map { $0.map(\.escapedForDisplay) }
        var widths = [Int](repeating: 0, count: header.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        for row in cells {
            let padded = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            line(padded.joined(separator: "  "))
        }
    }

    /// `key: value` lines with the keys aligned.
    static func fields(_ pairs: [(String, String?)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs {
            guard let value else { continue }
            line((key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value.escapedForDisplay)
        }
    }

    /// "2026-12-01 08:14 CST" from a stored timestamp: local time (the TZ environment variable is honoured) with
    /// the zone's abbreviation, so a coordinator reads their own clock; JSON keeps UTC.
    static func minute(_ timestamp: String) -> String {
        guard let date = Timestamps.parse(timestamp) else { return timestamp }
        return minute(date)
    }

    /// "2026-12-01 08:14 CST" for a moment, in the local time zone.
    static func minute(_ date: Date) -> String {
        localMinute.string(from: date)
    }

    private static let localMinute: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = localZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter
    }()

    /// The zone named by $TZ when it names one, else the system's.
    static let localZone: TimeZone = {
        if let name = ProcessInfo.processInfo.environment["TZ"], let zone = TimeZone(identifier: name.hasPrefix(":") ? String(name.dropFirst()) : name) {
            return zone
        }
        return TimeZone.current
    }()

    /// The WAITING column: how long an open case has waited, or how long a final one took ("took 3d 4h").
    static func waiting(_ summary: CaseSummary, now: Date = Date()) -> String {
        guard summary.state.isFinal else { return age(since: summary.receivedAt, now: now) }
        // Until it closed: an addendum or a follow-up later changes the case, not how long it took.
        guard let received = Timestamps.parse(summary.receivedAt),
              let closed = Timestamps.parse(summary.closedAt ?? summary.updatedAt) else { return "?" }
        return "took " + span(max(0, closed.timeIntervalSince(received)))
    }

    /// The DUE column: "in 3h 12m" before the due time, "overdue 2h 5m" after it, "-" for a final case.
    static func due(_ due: Date?, now: Date = Date()) -> String {
        guard let due else { return "-" }
        let text = span(abs(due.timeIntervalSince(now)))
        return now >= due ? "overdue " + text : "in " + text
    }

    /// "3h 12m" since a stored timestamp.
    static func age(since timestamp: String, now: Date = Date()) -> String {
        guard let date = Timestamps.parse(timestamp) else { return "?" }
        return span(max(0, now.timeIntervalSince(date)))
    }

    /// "42m", "3h 12m" (under two days) or "4d 2h", in whole minutes.
    static func span(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        if minutes < 60 { return "\(minutes)m" }
        if minutes < 48 * 60 { return "\(minutes / 60)h \(minutes % 60)m" }
        return "\(minutes / 1440)d \(minutes % 1440 / 60)h"
    }
}
