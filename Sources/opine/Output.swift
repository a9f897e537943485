import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// Text for people (aligned columns) and JSON for scripts; errors go to stderr.
enum Output {
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("opine: \(message)\n".utf8))
    }

    static func json(_ value: Any, toStandardError: Bool = false) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        let handle = toStandardError ? FileHandle.standardError : FileHandle.standardOutput
        handle.write(data + Data("\n".utf8))
    }

    static func json<T: Encodable>(encodable value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
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

    /// "2026-11-26 09:30" from a stored timestamp.
    static func minute(_ timestamp: String) -> String {
        String(timestamp.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    /// "3h 12m" since a stored timestamp.
    static func age(since timestamp: String, now: Date = Date()) -> String {
        guard let date = Timestamps.parse(timestamp) else { return "?" }
        let minutes = max(0, Int(now.timeIntervalSince(date) / 60))
        if minutes < 60 { return "\(minutes)m" }
        if minutes < 48 * 60 { return "\(minutes / 60)h \(minutes % 60)m" }
        return "\(minutes / 1440)d \(minutes % 1440 / 60)h"
    }

    static func caseJSON(_ summary: CaseSummary) -> [String: Any] {
        [
            "id": summary.id, "state": summary.state.rawValue, "priority": summary.priority.rawValue,
            "assignee": summary.assignee ?? NSNull(), "regions": summary.regions,
            "received_at": summary.receivedAt, "updated_at": summary.updatedAt,
        ]
    }
}
