import Foundation
@testable import OpineCore
@testable import OpineIntake
import Testing

/// An uploader still writing, or swapping a file, while intake takes the upload: the stored copy is exactly what was
/// checked, or nothing is stored.
@Suite("Intake of an upload that changes while it is being taken")
struct ChangedUploadTests {
    /// The DICOM file of the test bundles, made large enough to be read in several chunks.
    static let dicom = "MRI/IM000001", dicomSize = 3 << 20

    /// Which call of `step` (counting from 1) is intake's `nth` one on the DICOM file, learned from a clean take.
    static func occurrence(_ step: IntakeStep, _ nth: Int) throws -> Int {
        let (probe, _) = try spoolWithLargeBundle()
        FaultInjection.arm(nil)
        _ = probe.intake.take("b")
        let steps = FaultInjection.disarm().filter { $0.step == step }
        let touching = steps.indices.filter { steps[$0].path == dicom }
        return try #require(touching.dropFirst(nth - 1).first, "no \(step) #\(nth) of the DICOM file") + 1
    }

    /// Rewrites a file in place with other bytes of the same size, as an uploader still writing might.
    static func overwrite(_ path: String) {
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        let junk = [UInt8](repeating: 0xAB, count: Int(size) - 200)
        _ = pwrite(fd, junk, junk.count, 200)
    }

    /// Nothing was stored, and nothing was left half-made in the store or in staging.
    static func expectNothingStored(_ spool: Spool) throws {
        #expect(try spool.count("SELECT count(*) FROM cases") == 0)
        #expect(spool.entries(spool.configuration.casesDirectory).isEmpty && spool.entries(spool.configuration.stagingDirectory).isEmpty)
    }

    /// A spool holding bundle `b` with the large DICOM file, and that file's path in the drop directory.
    static func spoolWithLargeBundle() throws -> (Spool, String) {
        let spool = try Spool()
        try spool.dropBundle("b", dicomSize: dicomSize)
        return (spool, spool.configuration.dropDirectory + "/b/" + dicom)
    }

    @Test("Rewritten after intake read its first chunk: what was read no longer hashes to the manifest's value")
    func rewrittenMidway() throws {
        let (spool, path) = try Self.spoolWithLargeBundle()
        FaultInjection.arm(.init(.read, occurrence: try Self.occurrence(.read, 2)) { Self.overwrite(path) })
        let outcome = spool.intake.take("b")
        FaultInjection.disarm()
        #expect(outcome == .rejected(.checksumMismatch))
        try Self.expectNothingStored(spool)
    }

    @Test("Rewritten after the last byte was read, just before the commit: the store keeps the bytes that were checked")
    func rewrittenBeforeCommit() throws {
        let (spool, path) = try Self.spoolWithLargeBundle()
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        FaultInjection.arm(.init(.commit) { Self.overwrite(path) })
        let outcome = spool.intake.take("b")
        FaultInjection.disarm()
        guard case .stored(let caseID, _) = outcome else {
            Issue.record("a change after the check must not stop the checked copy being stored: \(outcome)")
            return
        }
        let stored = try Data(contentsOf: URL(fileURLWithPath: spool.configuration.casesDirectory + "/\(caseID)/" + Self.dicom))
        #expect(stored.dropFirst(128) == original.dropFirst(128), "the stored copy is what was hashed, not what the file became")
    }

    @Test("Swapped for a symlink to a secret between the listing and the open: never followed")
    func swappedForSymlink() throws {
        let spool = try Spool()
        try spool.dropBundle("b")
        let target = spool.configuration.dropDirectory + "/b/" + Self.dicom
        FaultInjection.arm(.init(.open, occurrence: try Self.occurrence(.open, 1)) {
            unlink(target)
            symlink("/etc/passwd", target)
        })
        var outcome = spool.intake.take("b")
        FaultInjection.disarm()
        if case .retryLater = outcome { outcome = spool.intake.take("b") }
        #expect(outcome == .rejected(.specialFile))
        try Self.expectNothingStored(spool)
    }
}
