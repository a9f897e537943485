import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Intake by the real opined: bundles become cases; slow, repeated and interrupted uploads")
struct IntakeTests {
    @Test("A directory bundle and a zip bundle become cases with the priority their symptoms give")
    func validBundlesBecomeCases() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let work = try sandbox.workFolder()

        let routine = BundleBuilder(submissionID: "web-routine", symptoms: ["sciatica", "back_pain"])
        try sandbox.drop(routine, as: "routine")
        let urgent = BundleBuilder(submissionID: "web-urgent", symptoms: ["sciatica", "progressive_weakness"])
        try sandbox.dropRenamed(try urgent.writeZip(in: work, name: "urgent.zip"), as: "urgent.zip")
        let emergency = BundleBuilder(submissionID: "web-emergency", symptoms: ["sciatica", "bowel_bladder_dysfunction"])
        try sandbox.drop(emergency, as: "emergency")

        try waitUntil("three cases exist") { try sandbox.cases().count == 3 }
        let cases = try sandbox.cases()
        // Emergency first, then oldest.
        #expect(cases.first?["priority"] as? String == "emergency")
        let bySubmission = try Dictionary(uniqueKeysWithValues: cases.map { summary -> (String, [String: Any]) in
            let shown = try sandbox.opine("show", summary["id"] as! String, "--json").json()
            return (shown["submission_id"] as! String, shown)
        })
        #expect(bySubmission["web-routine"]?["priority"] as? String == "routine")
        #expect(bySubmission["web-urgent"]?["priority"] as? String == "urgent")
        #expect(bySubmission["web-emergency"]?["priority"] as? String == "emergency")

        // Stored files match what the patient sent, readable by the service and the opine group only; the uploads are gone.
        for (submission, builder) in [("web-routine", routine), ("web-urgent", urgent)] {
            let folder = try #require(bySubmission[submission]?["folder"] as? String)
            for file in builder.files {
                let stored = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file.path))
                #expect(stored == file.data)
                let mode = try FileManager.default.attributesOfItem(atPath: folder + "/" + file.path)[.posixPermissions] as? Int
                #expect(mode == 0o640, "owner and the opine group (reviewers) only")
            }
            let mode = try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int
            #expect(mode == 0o750)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty)

        try Self.checkEmergencyAnnounced(sandbox, try #require(bySubmission["web-emergency"]?["id"] as? String))
        #expect(sandbox.log.contains("case stored"))
    }

    /// The emergency is announced ahead of the routine notice, in the same transaction as the case, with no patient
    /// data in either.
    static func checkEmergencyAnnounced(_ sandbox: Sandbox, _ emergencyID: String) throws {
        let outbox = try sandbox.store().outbox(caseID: emergencyID)
        #expect(outbox.map(\.type) == [.caseEmergency, .caseReceived])
        let data = try NotificationData.decode(try #require(outbox.first).data)
        #expect(data.caseID == emergencyID && data.priority == .emergency && data.regions == ["lumbar"])
        for record in outbox {
            for secret in ["Jane", "jane.doe@example.org", "1968-04-02", "555", "surgery"] {
                #expect(!record.data.contains(secret), "outbox data must carry no patient data")
            }
        }
    }

    @Test("A bundle written slowly in place is not taken before it is complete")
    func slowWriterIsNotTakenEarly() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let builder = BundleBuilder(submissionID: "web-slow")
        let bundle = sandbox.drop.appendingPathComponent("slow")
        try FileManager.default.createDirectory(at: bundle.appendingPathComponent("MRI"), withIntermediateDirectories: true)
        try builder.manifestData().write(to: bundle.appendingPathComponent("manifest.json"))
        try Samples.pdf.write(to: bundle.appendingPathComponent("report.pdf"))
        let dicom = builder.files[1].data
        let handle = try FileHandle(forWritingTo: { let u = bundle.appendingPathComponent("MRI/IM000001"); _ = FileManager.default.createFile(atPath: u.path, contents: nil); return u }())
        handle.write(dicom.prefix(200))

        let partialWrite = Date()
        // A later, complete bundle taken well past the settle time proves the daemon has judged the slow one.
        try sandbox.drop(BundleBuilder(submissionID: "web-marker-1"), as: "marker-1")
        try waitUntil("marker 1 is a case") { try sandbox.cases().count == 1 }
        try waitUntil("the partial bundle has been quiet for several settle times") { Date().timeIntervalSince(partialWrite) > 1.0 }
        try sandbox.drop(BundleBuilder(submissionID: "web-marker-2"), as: "marker-2")
        try waitUntil("marker 2 is a case") { try sandbox.cases().count == 2 }
        #expect(try sandbox.cases().count == 2, "the incomplete bundle must not have been taken")
        #expect(try sandbox.rejections().isEmpty, "the incomplete bundle must not have been rejected either")

        handle.write(dicom.dropFirst(200))
        try handle.close()
        try waitUntil("the slow bundle becomes a case once complete and quiet") { try sandbox.cases().count == 3 }
        #expect(try sandbox.rejections().isEmpty)
    }

    @Test("Killing the daemon mid-way and restarting it loses nothing and duplicates nothing")
    func restartLosesNothing() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let count = 30
        var builders: [BundleBuilder] = []
        for index in 0..<count {
            var builder = BundleBuilder(submissionID: "web-crash-\(index)")
            builder.files.append(("MRI/IM000002", Samples.dicom("big-\(index)", size: 256 * 1024), "imaging", "application/dicom"))
            builders.append(builder)
            try sandbox.drop(builder, as: "bundle-\(index)")
        }
        try waitUntil("the first case is stored") { try sandbox.cases().count >= 1 }
        #expect(sandbox.stopDaemon(signal: SIGKILL) != nil)
        try sandbox.startDaemon()
        try waitUntil("every bundle is a case", seconds: 60) { try sandbox.cases().count == count }
        #expect(sandbox.stopDaemon(signal: SIGTERM) == 0, "SIGTERM must stop opined cleanly")

        #expect(try sandbox.rejections().isEmpty)
        let staging = try FileManager.default.contentsOfDirectory(atPath: sandbox.state.appendingPathComponent("staging").path)
        #expect(staging.isEmpty)
        let store = try sandbox.store()
        for summary in try sandbox.cases() {
            let id = summary["id"] as! String
            for file in try store.files(of: id) {
                let data = try Data(contentsOf: sandbox.state.appendingPathComponent("cases/\(id)/\(file.path)"))
                #expect(Samples.sha256(data) == file.sha256)
            }
        }
        let submissions = try Set(sandbox.cases().map { try sandbox.opine("show", $0["id"] as! String, "--json").json()["submission_id"] as! String })
        #expect(submissions == Set(builders.map(\.submissionID)))
    }
}
