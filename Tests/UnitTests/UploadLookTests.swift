import Foundation
@testable import OpineCore
@testable import OpineIntake
import Testing

/// Readiness's look is handed to the take so an upload is walked, read and parsed once; it must never stand in for
/// an upload it did not see.
@Suite("Upload look: what readiness read is reused only for the same, unchanged upload")
struct UploadLookTests {
    @Test("The look's walk, manifest and parse are what the take uses")
    func reused() throws {
        let spool = try Spool()
        try spool.dropBundle("b")
        let drop = spool.configuration.dropDirectory
        let look = try #require(UploadLook.look(at: "b", in: drop, limits: spool.intake.limits, today: spool.intake.clock()))
        #expect(look.observation.complete)
        #expect(look.directory?.reading.submissionID == "web-b", "the manifest was read and parsed")
        let info = try #require(FileOperations.lstat(drop + "/b"))
        #expect(look.isCurrent(for: info, now: spool.intake.clock().timeIntervalSince1970))
        #expect(!look.isCurrent(for: info, now: spool.intake.clock().timeIntervalSince1970 + UploadLook.freshSeconds + 1), "too old")
        guard case .stored = spool.intake.take("b", look: look) else {
            Issue.record("the bundle the look saw must be stored")
            return
        }
        #expect(try spool.count("SELECT count(*) FROM cases WHERE submission_id = 'web-b'") == 1)
    }

    @Test("A bundle replaced under the same name after the look is read afresh, not checked against the old manifest")
    func replacedUnderSameName() throws {
        let spool = try Spool()
        let drop = spool.configuration.dropDirectory
        try spool.dropBundle("b")
        let look = try #require(UploadLook.look(at: "b", in: drop, limits: spool.intake.limits, today: spool.intake.clock()))
        try spool.dropBundle("c", dicomSize: 5000)
        try FileManager.default.removeItem(atPath: drop + "/b")
        #expect(rename(drop + "/c", drop + "/b") == 0)

        let outcome = spool.intake.take("b", look: look)
        guard case .stored = outcome else {
            Issue.record("the replacement bundle must be stored on its own manifest, got \(outcome)")
            return
        }
        #expect(try spool.count("SELECT count(*) FROM cases WHERE submission_id = 'web-c'") == 1)
        #expect(try spool.count("SELECT count(*) FROM rejections") == 0)
    }

    @Test("A file added inside the bundle after the look is seen by the take's own walk, and the upload is kept")
    func fileAddedAfterLook() throws {
        let spool = try Spool()
        let drop = spool.configuration.dropDirectory
        try spool.dropBundle("b")
        let look = try #require(UploadLook.look(at: "b", in: drop, limits: spool.intake.limits, today: spool.intake.clock()))
        let folder = try #require(spool.entries(drop + "/b").first { FileManager.default.fileExists(atPath: drop + "/b/" + $0 + "/.") })
        try Data("late".utf8).write(to: URL(fileURLWithPath: drop + "/b/" + folder + "/late.dcm"))

        #expect(spool.intake.take("b", look: look) == .rejected(.unlistedFile), "refused and quarantined, not stored without it")
        #expect(try spool.count("SELECT count(*) FROM cases") == 0)
    }
}
