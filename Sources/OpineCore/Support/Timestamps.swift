import Foundation

/// Times are stored and shown as RFC 3339 UTC with milliseconds, which sort as text.
public enum Timestamps {
    /// `2026-11-27T07:18:42.219Z`: what `Date.ISO8601FormatStyle(includingFractionalSeconds: true)` writes (a test
    /// holds them equal), by hand, since the delivery worker and the log write several per webhook.
    public static func format(_ date: Date) -> String {
        // Split whole and fractional seconds the way Foundation does, from the 2001 reference date: the same Double
        // read from 1970 can land a millisecond apart (…355.226 from 1970 is …355.2259999 from 2001).
        let sinceReference = date.timeIntervalSinceReferenceDate
        let wholeSeconds = sinceReference.rounded(.down)
        let milliseconds = min(Int32(((sinceReference - wholeSeconds) * 1000).rounded(.down)), 999)
        var seconds = time_t(Int64(wholeSeconds) + 978_307_200)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil, (0...9999).contains(parts.tm_year + 1900) else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        var text: [UInt8] = []
        text.reserveCapacity(24)
        func append(_ value: Int32, digits: Int) {
            var divisor: Int32 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        append(parts.tm_year + 1900, digits: 4); text.append(UInt8(ascii: "-"))
        append(parts.tm_mon + 1, digits: 2); text.append(UInt8(ascii: "-"))
        append(parts.tm_mday, digits: 2); text.append(UInt8(ascii: "T"))
        append(parts.tm_hour, digits: 2); text.append(UInt8(ascii: ":"))
        append(parts.tm_min, digits: 2); text.append(UInt8(ascii: ":"))
        append(parts.tm_sec, digits: 2); text.append(UInt8(ascii: "."))
        append(milliseconds, digits: 3); text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Reads an RFC 3339 time, with or without fractional seconds; nil if it is not one.
    public static func parse(_ text: String) -> Date? {
        parseRFC3339(text)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        // RFC 3339 requires the 'T' (or space) separator, a seconds field and an offset.
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// A calendar day written YYYY-MM-DD, checked for existence (no 2026-02-30).
    static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, parts.map(\.count) == [4, 2, 2],
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), year >= 1850
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components),
              calendar.dateComponents([.year, .month, .day], from: date) == components
        else { return nil }
        return date
    }

    /// `20261126` for case ids and quarantine folder names.
    package static func compactDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
    }

    /// `20261126T093000Z` for quarantine folder names.
    package static func compactTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
