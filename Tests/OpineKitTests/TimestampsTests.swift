import Foundation
@testable import OpineKit
import Testing

@Suite("Timestamps")
struct TimestampsTests {
    @Test("The hand-written RFC 3339 formatter writes exactly what Foundation's ISO 8601 style writes")
    func formatMatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        // Whole and fractional seconds, around epoch, leap days and the end of a year, and random times to 2100.
        var dates = [0, 0.0005, 0.9999, 951_782_400.5, 1_798_761_599.999, 1_798_761_600, 4_102_444_799.9994]
            .map(Date.init(timeIntervalSince1970:))
        dates += (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator)) }
        for date in dates {
            #expect(Timestamps.format(date) == date.formatted(style), "at \(date.timeIntervalSince1970)")
        }
        #expect(Timestamps.format(Date(timeIntervalSince1970: 1_795_763_922.219)) == "2026-11-27T07:18:42.219Z")
    }
}
