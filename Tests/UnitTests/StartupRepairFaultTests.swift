import Foundation
@testable import OpineCore
@testable import OpineIntake
import Testing

/// Start-up repair is what runs after a crash, so it must itself survive being cut short: a failure at any of its
/// steps (standing in for a kill at that moment) is finished by the next start, with nothing lost.
@Suite("Start-up repair under injected I/O faults")
struct StartupRepairFaultTests {
    /// A spool holding one leftover of every kind a crash can leave, and what repair must make of them.
    struct Leftovers {
        let spool: Spool
        let caseID: String
        let unproven = "C-20261127-0042-20261127T000000Z-0badc0de"
        let lostQuarantine: String
        let reasonless: String

        init() throws {
            spool = try Spool()
            let configuration = spool.configuration, files = FileManager.default
            try spool.dropBundle("b")
            guard case .stored(let caseID, _) = spool.intake.take("b") else { throw Failure("the bundle was not stored") }
            self.caseID = caseID
            try spool.dropBundle("bad", broken: true)
            guard spool.intake.take("bad") == .rejected(.unsupportedVersion),
                  let quarantine = spool.entries(configuration.rejectedDirectory).first
            else { throw Failure("the broken bundle was not quarantined") }
            let stored = configuration.casesDirectory + "/" + caseID
            let quarantined = configuration.rejectedDirectory + "/" + quarantine

            // A copy of the stored case already set aside, and another still in the store under an uncommitted id.
            try files.createDirectory(atPath: configuration.orphanedDirectory, withIntermediateDirectories: true)
            try files.copyItem(atPath: stored, toPath: configuration.orphanedDirectory + "/\(caseID)-20261127T000000Z-5e7a51de")
            try files.copyItem(atPath: stored, toPath: configuration.casesDirectory + "/C-20261127-0099")
            // Set aside with a manifest that proves nothing: a person must look at it.
            try files.createDirectory(atPath: configuration.orphanedDirectory + "/" + unproven + "/MRI", withIntermediateDirectories: true)
            try Data("{".utf8).write(to: URL(fileURLWithPath: configuration.orphanedDirectory + "/" + unproven + "/manifest.json"))
            // Unfinished staging, and an upload whose removal was cut short after it was stored.
            try files.copyItem(atPath: stored, toPath: configuration.stagingDirectory + "/s1")
            try files.copyItem(atPath: stored, toPath: configuration.dropDirectory + "/" + Intake.takenPrefix + "1")
            // A quarantine whose record was lost, one the upload never reached, and one whose reason.json is gone.
            lostQuarantine = quarantine + "-lost"
            try files.copyItem(atPath: quarantined, toPath: configuration.rejectedDirectory + "/" + lostQuarantine)
            try files.createDirectory(atPath: configuration.rejectedDirectory + "/unfilled", withIntermediateDirectories: true)
            try files.copyItem(atPath: quarantined + "/reason.json", toPath: configuration.rejectedDirectory + "/unfilled/reason.json")
            reasonless = quarantine + "-reasonless"
            try files.createDirectory(atPath: configuration.rejectedDirectory + "/" + reasonless, withIntermediateDirectories: true)
            try files.copyItem(atPath: quarantined + "/upload", toPath: configuration.rejectedDirectory + "/" + reasonless + "/upload")
        }

        /// Everything repaired, nothing a patient sent removed unless a stored case proves it a copy.
        func checkRepaired(_ label: String) throws {
            let configuration = spool.configuration
            #expect(spool.entries(configuration.orphanedDirectory) == [unproven], "\(label): only the unproven folder stays set aside")
            #expect(spool.entries(configuration.casesDirectory) == [caseID], "\(label)")
            #expect(spool.entries(configuration.stagingDirectory).isEmpty, "\(label)")
            #expect(spool.entries(configuration.dropDirectory) == [reasonless], "\(label): the reasonless upload is judged again")
            #expect(spool.entries(configuration.dropDirectory + "/" + reasonless) == ["MRI", "manifest.json", "report.pdf"], "\(label)")
            let folders = spool.entries(configuration.rejectedDirectory)
            #expect(folders.count == 2 && folders.contains(lostQuarantine), "\(label): \(folders)")
            #expect(try spool.count("SELECT count(*) FROM rejections WHERE quarantine IS NOT NULL") == 2, "\(label)")
            #expect(try spool.count("SELECT count(*) FROM cases") == 1, "\(label)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test("Every kind of leftover is repaired at start-up, and a second start finds nothing to do")
    func repairsEveryLeftover() throws {
        let leftovers = try Leftovers()
        try leftovers.spool.intake.prepare()
        try leftovers.checkRepaired("first start")
        let repairs = try leftovers.spool.count("SELECT count(*) FROM events WHERE type = 'repair'")
        try leftovers.spool.intake.prepare()
        try leftovers.checkRepaired("second start")
        #expect(try leftovers.spool.count("SELECT count(*) FROM events WHERE type = 'repair'") == repairs, "nothing repaired twice")
    }

    @Test("A failure at any step of start-up repair, as a crash there would, is finished by the next start")
    func repairSurvivesEveryFault() throws {
        let probe = try Leftovers()
        FaultInjection.arm(nil)
        try probe.spool.intake.prepare()
        let steps = FaultInjection.disarm()
        let counts = InjectedFault.stepCounts(steps)
        #expect(counts[.unlink] ?? 0 > 10 && counts[.rename] ?? 0 >= 3, "steps traced: \(counts)")

        let faults = InjectedFault.every(in: steps)
        for fault in faults {
            let leftovers = try Leftovers()
            FaultInjection.arm(fault.fault)
            _ = try? leftovers.spool.intake.prepare()
            #expect(FaultInjection.disarm().contains { $0.failed }, "\(fault): the fault was never reached")
            try leftovers.spool.intake.prepare()
            try leftovers.checkRepaired("\(fault)")
        }
        print("start-up repair: \(faults.count) injected failures (\(InjectedFault.summary(steps)); ENOSPC and EIO each)")
    }

    @Test("A taken upload opined may not delete (an uploader's folder it cannot write) does not stop start-up; a later start deletes it")
    func undeletableTakenUpload() throws {
        let spool = try Spool()
        let configuration = spool.configuration
        try spool.dropBundle("b")
        guard case .stored(let caseID, _) = spool.intake.take("b") else { throw Failure("the bundle was not stored") }
        let leftover = Intake.takenPrefix + "1"
        try FileManager.default.copyItem(atPath: configuration.casesDirectory + "/" + caseID, toPath: configuration.dropDirectory + "/" + leftover)
        // EACCES on every unlink: what opined meets in a folder the opine-upload group cannot write.
        FaultInjection.arm(FaultInjection.Fault(.unlink, code: EACCES, sticky: true))
        let started = Result { try spool.intake.prepare() }
        let trace = FaultInjection.disarm()
        #expect(throws: Never.self) { try started.get() }
        #expect(trace.contains { $0.failed && $0.path.contains(leftover) }, "the deletion was tried and refused")
        #expect(spool.entries(configuration.dropDirectory) == [leftover], "it stays, under its hidden name")
        let kept = "SELECT count(*) FROM events WHERE type = 'repair' AND detail LIKE '%taken_upload_kept%'"
        #expect(try spool.count(kept) == 1, "audited as kept, not only as found")
        try spool.intake.prepare()
        #expect(spool.entries(configuration.dropDirectory).isEmpty)
        #expect(try spool.count(kept) == 1, "deleted at the next start: not kept again")
        #expect(try spool.count("SELECT count(*) FROM cases") == 1)
    }
}
