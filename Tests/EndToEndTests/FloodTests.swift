import Foundation
import GRDB
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// Thousands of uploads renamed into the drop directory at once: every one is taken, and opined's memory stays flat.
/// `OPINE_FLOOD_BUNDLES` sets how many (1,000 in the normal suite; `make flood` runs 10,000).
@Suite("Intake at volume: a whole MRI series in one bundle, and a flood of uploads at once")
struct FloodTests {
    static let count = Int(ProcessInfo.processInfo.environment["OPINE_FLOOD_BUNDLES"] ?? "") ?? 1000

    /// Peak resident memory of a process so far, in KiB (VmHWM).
    static func peakKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    @Test("A whole MRI series in one bundle (2,048 files, so a manifest of about 400 KB) is one case")
    func wholeSeries() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        var builder = BundleBuilder(submissionID: "web-series")
        builder.files = [builder.files[0]] + (0..<2048).map {
            (String(format: "MRI/SERIES01/IM%06d", $0), Samples.dicom("series-\($0)", size: 1024), "imaging", "application/dicom")
        }
        try sandbox.dropRenamed(try builder.writeDirectory(in: try sandbox.workFolder(), name: "series"), as: "series")
        try waitUntil("the series is a case", seconds: 120) { try sandbox.cases().count == 1 || !sandbox.rejections().isEmpty }
        let rejections = try sandbox.rejections()
        #expect(rejections.isEmpty, "\(rejections)")
        let id = try #require(try sandbox.cases().first?["id"] as? String)
        let files = try sandbox.opine("show", id, "--json").json()["files"] as? [[String: Any]]
        #expect(files?.count == 2049)
    }

    @Test("Every upload of a flood is taken (a tenth of them invalid), and opined's peak memory stays under 80 MiB")
    func flood() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let work = try sandbox.workFolder()
        var names: [String] = []
        for index in 0..<Self.count {
            var builder = BundleBuilder(submissionID: "web-flood-\(index)")
            if index % 10 == 9 { builder.manifest["version"] = 2 }
            names.append(try builder.writeDirectory(in: work, name: "f\(index)").lastPathComponent)
        }
        let started = Date()
        for name in names { try sandbox.dropRenamed(work.appendingPathComponent(name), as: name) }
        let pid = try #require(sandbox.daemonPID)

        let database = try DatabaseQueue(path: sandbox.state.appendingPathComponent("opine.sqlite3").path)
        try waitUntil("every upload is taken", seconds: 600) {
            try database.read { db in
                (try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM rejections)") ?? 0) >= Self.count
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let peak = try #require(Self.peakKiB(pid))
        print("flood: \(Self.count) uploads taken in \(String(format: "%.1f", seconds)) s (\(Int(Double(Self.count) / seconds))/s); opined peak RSS \(peak / 1024) MiB")
        let (cases, rejected) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM cases") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE code = 'unsupported_version'") ?? 0)
        }
        #expect(cases == Self.count - Self.count / 10 && rejected == Self.count / 10, "\(cases) cases, \(rejected) rejected")
        #expect(Sandbox.underSanitizer || peak < 80 * 1024, "opined's peak RSS was \(peak / 1024) MiB")
        // A group's uploads are removed just after its commit.
        try waitUntil("every taken upload is removed") { try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty }
        #expect(sandbox.daemonIsRunning)
    }
}
