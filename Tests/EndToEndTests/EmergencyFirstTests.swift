import Foundation
import GRDB
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Red flags never wait: an emergency is taken first, behind a deep queue or beside a large study")
struct EmergencyFirstTests {
    /// Submission ids of the cases in the order they were committed.
    static func committed(_ sandbox: Sandbox) throws -> [String] {
        guard FileManager.default.fileExists(atPath: sandbox.state.appendingPathComponent("opine.sqlite3").path) else { return [] }
        return try sandbox.store().pool.read { db in try String.fetchAll(db, sql: "SELECT submission_id FROM cases ORDER BY seq") }
    }

    static func emergency(_ id: String) -> BundleBuilder {
        BundleBuilder(submissionID: id, symptoms: ["sciatica", "bowel_bladder_dysfunction"])
    }

    @Test("An emergency dropped while a large study is being copied becomes a case while the study is still being copied")
    func emergencyBesideLargeStudy() throws {
        let sandbox = try Sandbox()
        // The study's images are held mid-copy through the fault seam, for as long as the test needs.
        let faults = sandbox.root.appendingPathComponent("faults")
        try Data("pause read slow-\n".utf8).write(to: faults)
        sandbox.environment["OPINE_TEST_FAULTS_FILE"] = faults.path
        try sandbox.startDaemon()
        let work = try sandbox.workFolder()

        // 40 MiB of images: more than the express lane takes, so the main lane copies it.
        var study = BundleBuilder(submissionID: "web-study")
        study.files = [study.files[0]] + (1...40).map { index in
            ("MRI/slow-\(index)", Samples.dicom("study-\(index)", size: 1 << 20), "imaging", "application/dicom")
        }
        try sandbox.dropRenamed(try study.writeDirectory(in: work, name: "study"), as: "study")
        let staging = sandbox.state.appendingPathComponent("staging")
        try waitUntil("the study is being copied") {
            !((try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []).isEmpty
        }

        try sandbox.dropRenamed(try Self.emergency("web-emergency-dir").writeDirectory(in: work, name: "emergency"), as: "emergency")
        try sandbox.dropRenamed(try Self.emergency("web-emergency-zip").writeZip(in: work, name: "emergency.zip"), as: "emergency.zip")
        try waitUntil("both emergencies are cases") { try Self.committed(sandbox).count == 2 }
        #expect(Set(try Self.committed(sandbox)) == ["web-emergency-dir", "web-emergency-zip"])
        #expect(FileManager.default.fileExists(atPath: sandbox.drop.appendingPathComponent("study").path), "still being copied")

        try FileManager.default.removeItem(at: faults)
        try waitUntil("the study is a case too") { try Self.committed(sandbox).count == 3 }
        #expect(try Self.committed(sandbox).last == "web-study")
        #expect(sandbox.stopDaemon() == 0)
    }

    @Test("500 routine uploads queued, then an emergency directory and an emergency zip: both are among the next few cases")
    func emergencyBehindDeepQueue() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let routine = 500
        var names: [String] = []
        for index in 0..<routine {
            names.append(try BundleBuilder(submissionID: "web-routine-\(index)").writeDirectory(in: work, name: "routine-\(index)").lastPathComponent)
        }
        try sandbox.startDaemon()
        for name in names { try FileManager.default.moveItem(at: work.appendingPathComponent(name), to: sandbox.drop.appendingPathComponent(name)) }
        try waitUntil("intake is working through the queue") { try Self.committed(sandbox).count >= 20 }

        let before = try Self.committed(sandbox).count
        try sandbox.dropRenamed(try Self.emergency("web-emergency-dir").writeDirectory(in: work, name: "emergency"), as: "emergency")
        try sandbox.dropRenamed(try Self.emergency("web-emergency-zip").writeZip(in: work, name: "emergency.zip"), as: "emergency.zip")
        try waitUntil("both emergencies are cases") {
            try Set(Self.committed(sandbox)).isSuperset(of: ["web-emergency-dir", "web-emergency-zip"])
        }
        let order = try Self.committed(sandbox)
        // Ahead of them only what the two lanes held when they arrived, and what they were handed in the same pass:
        // at most two groups each (small bundles are taken in groups, an emergency alone).
        let inFlight = 2 * 2 * IntakeQueue.groupLimit
        for id in ["web-emergency-dir", "web-emergency-zip"] {
            let position = try #require(order.firstIndex(of: id))
            #expect(position < before + inFlight + 2, "\(id) was case \(position + 1); \(before) cases existed when it arrived")
        }
        #expect(order.count < routine, "the emergencies did not wait for the queue to drain")
        try waitUntil("every upload is a case", seconds: 120) { try Self.committed(sandbox).count == routine + 2 }
        #expect(sandbox.stopDaemon() == 0)
    }
}
