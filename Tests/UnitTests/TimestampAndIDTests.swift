import Foundation
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
@testable import OpineDelivery
@testable import OpineDaemon
import OpineConfiguration
import Testing

@Suite("Timestamps, hex and webhook ids")
struct TimestampAndIDTests {
    @Test("The hand-written RFC 3339 formatter writes exactly what Foundation's ISO 8601 style writes")
    func formatMatchesFoundation() {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        // Whole and fractional seconds, around epoch, leap days and the end of a year, two times whose milliseconds
        // differ when read from 1970 rather than 2001, and 20,000 times to 2100 whose milliseconds spread evenly (the
        // same ones every run: a mismatch reproduces rather than flakes).
        var dates = [0, 0.0005, 0.9999, 951_782_400.5, 1_798_761_599.999, 1_798_761_600, 4_102_444_799.9994,
                     2_758_580_355.226, 2_762_061_484.487, -1.5, 978_307_199.9995]
            .map(Date.init(timeIntervalSince1970:))
        dates += (1...20_000).map { Date(timeIntervalSince1970: Double($0) * 205_122.4573) }
        for date in dates {
            #expect(Timestamps.format(date) == date.formatted(style), "at \(date.timeIntervalSince1970)")
        }
        #expect(Timestamps.format(Date(timeIntervalSince1970: 1_795_763_922.219)) == "2026-11-27T07:18:42.219Z")
    }

    @Test("Hex is lowercase, two digits a byte; webhook ids are msg_ and 32 of them, never repeated")
    func hexAndWebhookIDs() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa0, 0xff, 0x5c]
        #expect(Hex.lowercase(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.lowercase(bytes, prefix: "msg_") == "msg_000fa0ff5c")
        let ids = (0..<1000).map { _ in CaseStore.newWebhookID() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.hasPrefix("msg_") && $0.count == 36 && $0.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) } })
    }
}

