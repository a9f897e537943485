import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// Malformed and hostile uploads, each of which must be rejected with its own reason while the daemon keeps running
/// and nothing is written outside the store and the rejected directory.
@Suite("Intake of hostile and broken bundles: each rejected with its own reason, nothing escapes")
struct HostileBundleTests {
    @Test("A DICOM file with an executable in its preamble is stored with the preamble zeroed, and verifies")
    func executablePreambleIsZeroed() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        var builder = BundleBuilder(submissionID: "web-preamble")
        let sent = Samples.dicom("web-preamble", preamble: Samples.executablePreamble)
        builder.files[1].data = sent
        try sandbox.drop(builder, as: "preamble")
        try waitUntil("the bundle is a case") { try sandbox.cases().count == 1 }
        let id = try #require(try sandbox.cases().first?["id"] as? String)
        let shown = try sandbox.opine("show", id, "--json").json()
        let folder = try #require(shown["folder"] as? String)
        let stored = try Data(contentsOf: URL(fileURLWithPath: folder + "/MRI/IM000001"))
        #expect(stored.prefix(128) == Data(count: 128), "the preamble is zeroed")
        #expect(stored.dropFirst(128) == sent.dropFirst(128), "everything after it is kept as sent")
        let file = try #require((shown["files"] as? [[String: Any]])?.first { $0["path"] as? String == "MRI/IM000001" })
        #expect(file["sha256"] as? String == Samples.sha256(sent) && file["stored_sha256"] as? String == Samples.sha256(stored))
        let report = try #require((shown["files"] as? [[String: Any]])?.first { $0["path"] as? String == "report.pdf" })
        #expect(report["stored_sha256"] is NSNull, "other files are kept byte for byte")
        #expect(try sandbox.opine("verify").status == 0, "verify checks the stored bytes against their own hash")
        let history = try sandbox.opine("history", id, "--json").stdout
        #expect(history.contains("dicom_preambles_zeroed"), "\(history)")
    }

    @Test("Every malformed or hostile upload is rejected with its own reason, and nothing escapes")
    func hostileUploadsAreRejected() throws {
        #expect(Set(Self.cases.map(\.expected)).count >= 15)
        #expect(Self.cases.count >= 45)
        let sandbox = try Sandbox([
            "OPINE_INTAKE_MAX_FILE_BYTES": "16 MiB",
            // 3.6 s: incomplete uploads are rejected within the test instead of after a day.
            "OPINE_INTAKE_INCOMPLETE_AFTER_HOURS": "0.001",
        ])
        try sandbox.startDaemon()
        let work = try sandbox.workFolder()
        for hostile in Self.cases {
            try hostile.place(sandbox, work)
        }
        // A valid bundle among them still becomes a case.
        try sandbox.drop(BundleBuilder(submissionID: "web-honest"), as: "honest")

        try waitUntil("every hostile upload is rejected", seconds: 60) { try sandbox.rejections().count >= Self.cases.count }
        #expect(sandbox.daemonIsRunning)
        #expect(try sandbox.cases().count == 1)

        let rejections = try sandbox.rejections()
        try Self.checkEachReason(rejections)
        // Every refusal names its submission id, except those with no manifest the strict parser reads.
        let unnamed = Set(rejections.filter { !($0["submission_id"] is String) }.compactMap { $0["upload"] as? String })
        #expect(unnamed == Self.withoutReadableManifest, "\(unnamed.symmetricDifference(Self.withoutReadableManifest))")
        // Each rejection is announced once, with its code and no patient data.
        let announced = try sandbox.store().outbox().filter { $0.type == .bundleRejected }
        #expect(announced.count == rejections.count)
        let codes = Set(try announced.map { try NotificationData.decode($0.data).reason ?? "" })
        #expect(codes == Set(rejections.compactMap { $0["code"] as? String }))
        #expect(!announced.contains { $0.data.contains("Jane") })
        try Self.checkNothingEscaped(sandbox)
        try Self.checkNamesShownEscaped(sandbox)
    }

    /// The uploads of `cases` with no manifest whose JSON the strict parser reads: no manifest at all, or one that
    /// is a link, a FIFO, too large, not UTF-8, not JSON (a byte-order mark, a repeated key, too deep), a zip cut short.
    static let withoutReadableManifest: Set<String> = [
        "manifest-never-arrives", "truncated.zip", "scan.jpg", "manifest-too-large", "byte-order-mark", "duplicate-keys",
        "overlap.zip", "manifest-links-to-dev-zero", "manifest-is-a-fifo", "deeply-nested-json", "manifest-not-utf8",
    ]

    /// Every hostile upload has its rejection, with the expected code and a quarantine folder holding the reason.
    static func checkEachReason(_ rejections: [[String: Any]]) throws {
        for hostile in cases {
            let matches = rejections.filter { ($0["upload"] as? String)?.hasPrefix(hostile.name) ?? false }
                + rejections.filter { hostile.name == "zip-overlapping-entries" && $0["upload"] as? String == "overlap.zip" }
                + rejections.filter { hostile.name == "zip-truncated" && $0["upload"] as? String == "truncated.zip" }
                + rejections.filter { hostile.name == "stray-file" && $0["upload"] as? String == "scan.jpg" }
                + rejections.filter { hostile.name == "invalid-utf8-upload-name" && ($0["upload"] as? String)?.hasPrefix("renamed-") == true }
            let found = try #require(matches.first, "no rejection recorded for \(hostile.name)")
            #expect(found["code"] as? String == hostile.expected.rawValue, "\(hostile.name): \(found["message"] ?? "")")
            let quarantine = try #require(found["quarantine"] as? String)
            #expect(FileManager.default.fileExists(atPath: quarantine + "/reason.json"))
        }
    }

    /// Nothing outside the store and the rejected directory; no canary anywhere; the drop directory is empty.
    static func checkNothingEscaped(_ sandbox: Sandbox) throws {
        for path in sandbox.allFiles() {
            let allowed = path.hasPrefix("spool/rejected/") || path.hasPrefix("state/cases/") || path.hasPrefix("state/opine.sqlite3")
                || path == "state/opined.heartbeat" || path.hasPrefix("work/") || path == "opined.log" || path == "opine.toml"
            #expect(allowed, "unexpected file \(path)")
            #expect(!path.contains(canary))
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(canary)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.state.appendingPathComponent("staging").path).isEmpty)
    }

    /// Names from uploads reach neither the log nor the terminal raw: no escape sequence, bell, bidi override or
    /// line break hidden in a name. (The sandbox checks the log for the patient's details.)
    static func checkNamesShownEscaped(_ sandbox: Sandbox) throws {
        let listing = try sandbox.opine("rejected", "--limit", "1000").stdout
        for (text, what) in [(sandbox.log, "the daemon's log"), (listing, "opine rejected")] {
            for raw in ["\u{1B}", "\u{07}", "\u{202E}", "first\nsecond", "\u{0}"] {
                #expect(!text.contains(raw), "\(what) shows a raw \(raw.debugDescription)")
            }
        }
        #expect(!sandbox.log.contains("Jane"), "not even the patient's first name reaches the log")
    }
}
