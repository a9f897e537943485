import Foundation
import OpineCore
import OpineTestSupport
import Testing

/// `opine validate` on the hostile corpus opined is tested with (`HostileBundleTests.cases`): each upload gets, as
/// its first problem, the code opined gives it.
@Suite("opine validate agrees with opined on every hostile upload")
struct ValidateHostileTests {
    /// Uploads placed under a name of their own, as `HostileBundleTests.checkEachReason` maps them.
    static let placedAs = ["zip-overlapping-entries": "overlap.zip", "zip-truncated": "truncated.zip", "stray-file": "scan.jpg"]

    @Test("Every hostile upload's first problem is opined's rejection code")
    func sameCodesAsOpined() throws {
        // The same limits as the daemon's run over the corpus; no daemon runs, so every upload stays to be checked.
        let sandbox = try Sandbox(["OPINE_INTAKE_MAX_FILE_BYTES": "16 MiB", "OPINE_INTAKE_INCOMPLETE_AFTER_HOURS": "0.001"])
        try FileManager.default.createDirectory(at: sandbox.drop, withIntermediateDirectories: true)
        let work = try sandbox.workFolder()
        // An upload whose own name is not UTF-8 cannot be named on a command line as a string; opined renames it first.
        let cases = HostileBundleTests.cases.filter { $0.name != "invalid-utf8-upload-name" }
        for hostile in cases { try hostile.place(sandbox, work) }
        let placed = try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path)
        for hostile in cases {
            let name = try #require(placed.first { $0 == Self.placedAs[hostile.name] || $0.hasPrefix(hostile.name) }, "\(hostile.name) not placed")
            let result = try sandbox.opine("validate", sandbox.drop.appendingPathComponent(name).path, "--json")
            #expect(result.status == 65, "\(hostile.name): \(result.stdout)\(result.stderr)")
            let problems = (try? result.json())?["problems"] as? [[String: Any]] ?? []
            #expect(problems.first?["code"] as? String == hostile.expected.rawValue, "\(hostile.name): \(problems)")
        }
        #expect(!sandbox.cliErrors.contains("Jane"))
    }
}
