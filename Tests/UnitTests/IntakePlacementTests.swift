import Foundation
import GRDB
@testable import OpineCore
@testable import OpineIntake
@testable import OpineStore
import Testing

/// The store's commit only renames the staged folder into place. A folder already at the target comes back as a
/// typed error that intake handles outside the transaction; before, intake set it aside from inside the store's
/// write transaction, a re-entrant write that GRDB stops the process for.
@Suite("Intake placement: a leftover store folder is set aside outside the commit")
struct IntakePlacementTests {
    @Test("Commit fails after the rename and the clean-up fails too: the retry sets the leftover aside and stores the case")
    func leftoverFromFailedCommit() throws {
        let spool = try Spool()
        try spool.dropBundle("b")
        FaultInjection.arm([.init(.commit, code: EIO), .init(.unlink, code: EIO, sticky: true)])
        let failed = spool.intake.take("b")
        FaultInjection.disarm()
        guard case .retryLater = failed else {
            Issue.record("the failed commit must leave the upload to be retried, got \(failed)")
            return
        }
        let leftover = try #require(spool.entries(spool.configuration.casesDirectory).first, "the clean-up failed, so the folder stays")
        #expect(try spool.count("SELECT count(*) FROM cases") == 0)

        // The same case id comes round again (the counter rolled back with the commit) and finds the folder.
        let outcome = spool.intake.take("b")
        #expect(outcome == .stored(caseID: leftover, priority: .routine))
        #expect(try spool.count("SELECT count(*) FROM cases") == 1)
        #expect(try spool.count("SELECT count(*) FROM events WHERE type = 'repair' AND json_extract(detail, '$.repair') = 'set_aside'") == 1)
        #expect(spool.entries(spool.configuration.orphanedDirectory).count == 1, "the leftover is kept, not deleted")
        #expect(spool.entries(spool.configuration.dropDirectory).isEmpty, "the upload was taken")

        // At the next start the set-aside copy is proven to be the stored case's and removed; nothing else is lost.
        try spool.intake.prepare()
        #expect(spool.entries(spool.configuration.orphanedDirectory).isEmpty)
        let verified = try spool.store.verify(casesDirectory: spool.configuration.casesDirectory)
        #expect(verified.isClean, "\(verified.problems)")
    }
}
