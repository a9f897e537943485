import Foundation
import GRDB
@testable import OpineCore
@testable import OpineIntake
@testable import OpineStore
import OpineTestSupport
import Testing

/// A supplement's files are renamed into an existing case folder inside the commit's transaction; a kill between
/// those renames and the commit leaves files there that no row records. These tests leave such files as a kill would
/// and check that start-up and the next take clear them, and that nothing else is lost.
@Suite("Leftovers of a killed supplement placement: cleared at start-up or at the next take, never kept unrecorded")
struct SupplementLeftoverTests {
    static let image = Samples.dicom("a later series")

    /// A spool holding one case (`web-a`) and, waiting in the drop directory, a supplement of two files whose names
    /// the case already uses; returns the case id and the supplement's placements as the store will decide them.
    static func spool() throws -> (Spool, String, [FilePlacement]) {
        let spool = try Spool()
        try spool.dropBundle("a")
        guard case .stored(let caseID, _) = spool.intake.take("a") else { throw CancellationError() }
        var supplement = BundleBuilder(submissionID: "web-a-more")
        supplement.files = [
            ("MRI/IM000001", image, "imaging", "application/dicom"), ("report.pdf", Samples.pdf, "radiology_report", "application/pdf"),
        ]
        supplement.manifest["supplements"] = "web-a"
        for key in ["patient", "consent", "request"] { supplement.manifest[key] = nil }
        _ = try supplement.writeDirectory(in: URL(fileURLWithPath: spool.configuration.dropDirectory), name: "s")
        let taken = try spool.store.files(of: caseID).map(\.path)
        return (spool, caseID, Supplement.place(supplement.files.map(\.path), beside: taken))
    }

    /// Writes `data` where a placement renamed a file into the case folder.
    static func leave(_ data: Data, at path: String, in spool: Spool, case caseID: String) throws {
        let url = URL(fileURLWithPath: spool.configuration.casesDirectory + "/" + caseID + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// The case folder holds exactly its recorded files and its manifest.
    static func folderMatchesRecords(_ spool: Spool, _ caseID: String) throws -> Bool {
        let folder = spool.configuration.casesDirectory + "/" + caseID
        var isFolder: ObjCBool = false
        let present = Set(spool.snapshot(folder).keys.filter {
            FileManager.default.fileExists(atPath: folder + "/" + $0, isDirectory: &isFolder) && !isFolder.boolValue
        })
        return present == Set(try spool.store.files(of: caseID).map(\.path) + ["manifest.json"])
    }

    @Test("Start-up removes a proven copy, sets aside anything else, and the supplement is then added once")
    func startupClears() throws {
        let (spool, caseID, placements) = try Self.spool()
        #expect(placements.map(\.storedPath) == ["MRI/IM000001-2", "report-2.pdf"])
        // A killed attempt: its marker in staging, one file renamed in, and (as if something else had been there) a
        // file with other bytes at the second target.
        let staged = spool.configuration.stagingDirectory + "/killed"
        try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: true)
        try PlacingMarker(caseID: caseID, files: [
            .init(path: "MRI/IM000001-2", sha256: Samples.sha256(Self.image)), .init(path: "report-2.pdf", sha256: Samples.sha256(Samples.pdf)),
        ]).write(into: staged)
        try Self.leave(Self.image, at: "MRI/IM000001-2", in: spool, case: caseID)
        try Self.leave(Data("not the report".utf8), at: "report-2.pdf", in: spool, case: caseID)

        try spool.intake.prepare()
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty)
        #expect(try Self.folderMatchesRecords(spool, caseID), "both leftovers are gone from the case folder")
        let orphaned = spool.entries(spool.configuration.orphanedDirectory)
        #expect(orphaned.count == 1 && orphaned[0].hasPrefix(caseID + "-file-"), "the unproven one is kept, named by its case: \(orphaned)")
        #expect(try spool.count("SELECT count(*) FROM events WHERE type = 'repair' AND json_extract(detail, '$.repair') = 'copy_removed'") == 1)

        guard case .updated(let updated, _) = spool.intake.take("s") else { Issue.record("the supplement was not added"); return }
        #expect(updated == caseID)
        #expect(try Self.folderMatchesRecords(spool, caseID))
        #expect(try spool.store.files(of: caseID).filter { $0.supplementID != nil }.map(\.path).sorted() == ["MRI/IM000001-2", "report-2.pdf"])
    }

    @Test("The next take clears every leftover copy it meets (one per attempt), then commits")
    func takeClearsSeveral() throws {
        let (spool, caseID, placements) = try Self.spool()
        try Self.leave(Self.image, at: placements[0].storedPath, in: spool, case: caseID)
        try Self.leave(Samples.pdf, at: placements[1].storedPath, in: spool, case: caseID)
        guard case .updated = spool.intake.take("s") else { Issue.record("the supplement was not added"); return }
        #expect(try Self.folderMatchesRecords(spool, caseID))
        #expect(spool.entries(spool.configuration.orphanedDirectory).isEmpty, "both were proven copies")
        #expect(!spool.logs.lines.contains { $0.contains("report") || $0.contains("IM0000") }, "no patient file name in the log")
    }
}
