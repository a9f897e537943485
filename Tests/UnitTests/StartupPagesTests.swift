import Crypto
import Foundation
@testable import OpineCore
@testable import OpineDaemon
import Testing

@Suite("Releasing start-up code pages: resident code drops, and released code runs again")
struct StartupPagesTests {
    /// Resident bytes of private, read-only, executable file mappings (program code), from /proc/self/smaps.
    static func residentCode() throws -> Int {
        var total = 0, inCode = false
        let smaps = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps")).readToEnd() ?? Data()
        for line in String(decoding: smaps, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":"), fields.count >= 5 {
                inCode = fields[1] == "r-xp" && fields.count >= 6 && fields[5].hasPrefix("/")
            } else if inCode, fields.first == "Rss:", let kilobytes = Int(fields[1]) {
                total += kilobytes * 1024
            }
        }
        return total
    }

    @Test("Releasing start-up code lowers resident code, and the program keeps running what it needs")
    func releaseKeepsRunning() throws {
        let before = try Self.residentCode()
        let released = StartupPages.release()
        let after = try Self.residentCode()
        #expect(released > 0 && after < before, "resident code \(before) -> \(after) bytes, \(released) reported released")
        // Code in the binary, Foundation and BoringSSL faults back in and computes what it did before.
        #expect(Timestamps.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Hex.lowercase(Array(SHA256.hash(data: Data("opine".utf8))))
            == "a7b0264165eea60dab1b8f3fea1f9b8cf15f96d52f6f3ee878a2dc23fa504f0a")
        // Running it brought released pages back: resident code grew again.
        #expect(try Self.residentCode() > after, "resident code stayed at \(after) bytes after running released code")
    }
}
