import Foundation
import OpineConfiguration
import OpineCore
import Testing

/// upload.toml as opine-upload reads it: the two folders required, unknown keys refused, and an address the internet
/// could reach refused at start.
@Suite("opine-upload's settings")
struct UploadSettingsTests {
    static let folders = "[paths]\ndrop = \"/srv/spool/drop\"\nstate = \"/srv/spool/upload\"\n"

    static func parse(_ text: String, environment: [String: String] = [:]) throws -> UploadSettings {
        try UploadSettings.parse(text, source: "upload.toml", environment: environment)
    }

    @Test("Defaults: loopback 8470, 24 h expiry, opined's own caps")
    func defaults() throws {
        let settings = try Self.parse(Self.folders)
        #expect(settings.listen == .tcp(host: "127.0.0.1", port: 8470))
        #expect(settings.uploadExpirySeconds == 24 * 3600)
        #expect(settings.limits.maxFiles == 5000)
        #expect(settings.limits.maxRequestBytes == 4 << 30)
    }

    @Test("Loopback, private and unix socket addresses are taken; wildcard and public ones are refused")
    func listenAddresses() throws {
        for (text, listen) in [
            ("127.0.0.1:9000", UploadSettings.Listen.tcp(host: "127.0.0.1", port: 9000)), ("[::1]:9000", .tcp(host: "::1", port: 9000)),
            ("localhost:9000", .tcp(host: "localhost", port: 9000)), ("10.1.2.3:9000", .tcp(host: "10.1.2.3", port: 9000)),
            ("unix:/run/opine-upload/http.sock", .unix(path: "/run/opine-upload/http.sock")),
        ] {
            #expect(try Self.parse(Self.folders + "[listen]\naddress = \"\(text)\"\n").listen == listen)
        }
        for text in ["0.0.0.0:8470", "[::]:8470", "203.0.113.7:8470", "opinion.example.org:8470", "172.32.0.1:8470", "127.0.0.1", "unix:relative"] {
            #expect(throws: ConfigurationError.self, "\(text) accepted") { try Self.parse(Self.folders + "[listen]\naddress = \"\(text)\"\n") }
        }
        #expect(throws: ConfigurationError.self) { try Self.parse(Self.folders, environment: ["OPINE_UPLOAD_LISTEN_ADDRESS": "0.0.0.0:80"]) }
    }

    @Test("A missing folder or an unknown key is refused with the key named")
    func refusals() throws {
        #expect(throws: ConfigurationError.self) { try Self.parse("[paths]\ndrop = \"/srv/spool/drop\"\n") }
        do {
            _ = try Self.parse(Self.folders + "[limits]\nmax_filez = 3\n")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect("\(error)".contains("limits.max_filez"))
        }
    }
}
