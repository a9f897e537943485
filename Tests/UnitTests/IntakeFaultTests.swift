import Foundation
@testable import OpineCore
@testable import OpineIntake
import OpineTestSupport
import Testing

/// Fails every step of taking an upload in turn (open, read, write, fsync, rename, mkdir, unlink, directory fsync,
/// database commit), with ENOSPC and with EIO, and checks that nothing is lost or half-done each time.
@Suite("Intake under injected I/O faults: storing, quarantining, a full disk, a lost case folder")
struct IntakeFaultTests {
    /// The steps of one clean take, in order, learned by tracing it.
    static func traceCleanTake(broken: Bool) throws -> [FaultInjection.Trace] {
        let spool = try Spool()
        try spool.dropBundle("probe", broken: broken)
        FaultInjection.arm(nil)
        let outcome = spool.intake.take("probe")
        let trace = FaultInjection.disarm()
        #expect(broken ? outcome == .rejected(.unsupportedVersion) : { if case .stored = outcome { true } else { false } }())
        return trace
    }

    @Test("A failure at any step of storing a bundle leaves the upload waiting, nothing half-done, and the next attempt succeeds")
    func storingSurvivesEveryFault() throws {
        let steps = try Self.traceCleanTake(broken: false)
        // Every kind of step a store takes must have been seen, or this test would prove less than it claims.
        #expect(Set(steps.map(\.step)) == Set(IntakeStep.allCases), "steps traced: \(Set(steps.map(\.step)))")
        let faults = InjectedFault.every(in: steps)
        for fault in faults { try checkStore(fault) }
        print("storing: \(faults.count) injected failures (\(InjectedFault.summary(steps)); ENOSPC and EIO each)")
    }

    /// One take of a valid bundle with `fault` injected, then a retry without it.
    private func checkStore(_ fault: InjectedFault) throws {
        let spool = try Spool()
        try spool.dropBundle("b")
        let upload = spool.configuration.dropDirectory + "/b"
        let before = spool.snapshot(upload)

        FaultInjection.arm(fault.fault)
        let outcome = spool.intake.take("b")
        let trace = FaultInjection.disarm()
        let failedAt = try #require(trace.firstIndex { $0.failed }, "\(fault): the fault was never reached")
        try checkFailedTake(outcome, fault, spool: spool, upload: upload, before: before, trace: trace, failedAt: failedAt)
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty, "\(fault): staging is cleaned")
        try checkRetry(fault, spool: spool, upload: upload, before: before)
    }

    /// The failed take either left everything as it was (and said why), or failed only after the commit.
    private func checkFailedTake(
        _ outcome: Intake.Outcome, _ fault: InjectedFault, spool: Spool, upload: String, before: [String: Data],
        trace: [FaultInjection.Trace], failedAt: Int
    ) throws {
        switch outcome {
        case .retryLater(_, let diskFull):
            #expect(spool.snapshot(upload) == before, "\(fault): the upload must stay exactly as it was")
            #expect(try spool.count("SELECT count(*) FROM cases") == 0, "\(fault): no case may be committed")
            #expect(spool.entries(spool.configuration.casesDirectory).isEmpty, "\(fault): nothing half-moved into the store")
            #expect(diskFull == (fault.code == ENOSPC), "\(fault)")
            #expect(spool.intake.problem?.diskFull == (fault.code == ENOSPC), "\(fault): the blocked intake is reported")
            #expect(spool.logs.lines.contains { $0.contains("intake failed") && $0.contains("injected") }, "\(fault): the failure is logged")
        case .stored:
            // Only a failure after the commit (removing the upload, syncing the drop directory) can end here.
            #expect([.rename, .unlink, .directoryFsync, .open].contains(fault.step), "\(fault): stored despite a failure before the commit")
            #expect(trace[..<failedAt].contains { $0.step == .commit }, "\(fault): stored although the commit never happened")
        default:
            Issue.record("\(fault): unexpected outcome \(outcome)")
        }
        // A failed fsync is never retried and trusted: nothing more is written or synced under the file it failed on.
        if [.fsync, .directoryFsync].contains(fault.step) {
            let failedPath = trace[failedAt].path
            let later = trace[(failedAt + 1)...].filter { $0.path.hasPrefix(failedPath) && [.fsync, .directoryFsync, .write, .rename].contains($0.step) }
            #expect(later.isEmpty || fault.step == .directoryFsync && failedPath == spool.configuration.dropDirectory,
                    "\(fault): \(later) after the failed fsync of \(failedPath)")
        }
    }

    /// The fault is gone: the next attempt takes the upload (or sees it is already stored) and removes it.
    private func checkRetry(_ fault: InjectedFault, spool: Spool, upload: String, before: [String: Data]) throws {
        let uploadRemoved = FileOperations.lstat(upload) == nil
        let retry = spool.intake.take("b")
        switch retry {
        case .stored, .duplicate: break
        case .vanished where uploadRemoved: break
        default: Issue.record("\(fault): the retry gave \(retry)")
        }
        #expect(spool.intake.problem == nil, "\(fault): the problem clears once an upload is taken")
        #expect(try spool.count("SELECT count(*) FROM cases") == 1, "\(fault)")
        let caseID = try #require(spool.entries(spool.configuration.casesDirectory).first, "\(fault)")
        #expect(spool.entries(spool.configuration.casesDirectory).count == 1, "\(fault)")
        let stored = spool.snapshot(spool.configuration.casesDirectory + "/" + caseID)
        for (path, data) in before where !data.isEmpty { #expect(stored[path] == data, "\(fault): stored \(path) differs") }
        // A removal interrupted after the upload was renamed aside is finished at the next start.
        try spool.intake.prepare()
        #expect(spool.entries(spool.configuration.dropDirectory).isEmpty, "\(fault): the upload is removed once stored")
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty, "\(fault)")
        #expect(try spool.count("SELECT count(*) FROM events WHERE type = 'intake'") == 1, "\(fault)")
    }

    @Test("A failure at any step of quarantining a rejected upload leaves it waiting, and the next attempt quarantines it once")
    func quarantineSurvivesEveryFault() throws {
        let steps = try Self.traceCleanTake(broken: true)
        let counts = InjectedFault.stepCounts(steps)
        #expect(counts[.commit] == 1 && counts[.rename] ?? 0 >= 2 && counts[.directoryFsync] ?? 0 >= 2)
        for fault in InjectedFault.every(in: steps) { try checkQuarantine(fault) }
    }

    /// One take of a broken bundle with `fault` injected, then a retry if it was left waiting.
    private func checkQuarantine(_ fault: InjectedFault) throws {
        let label = "quarantine \(fault)"
        let spool = try Spool()
        try spool.dropBundle("bad", broken: true)
        let upload = spool.configuration.dropDirectory + "/bad"
        let before = spool.snapshot(upload)
        FaultInjection.arm(fault.fault)
        let outcome = spool.intake.take("bad")
        FaultInjection.disarm()
        if case .retryLater = outcome {
            #expect(spool.snapshot(upload) == before, "\(label): the upload must stay exactly as it was")
            #expect(spool.entries(spool.configuration.rejectedDirectory).isEmpty, "\(label): no half-made quarantine folder")
            #expect(try spool.count("SELECT count(*) FROM rejections") == 0, "\(label)")
            #expect(spool.logs.lines.contains { $0.contains("injected") }, "\(label): the failure is logged")
            #expect(spool.intake.take("bad") == .rejected(.unsupportedVersion), "\(label)")
        } else {
            #expect(outcome == .rejected(.unsupportedVersion), "\(label): \(outcome)")
        }
        #expect(try spool.count("SELECT count(*) FROM rejections") == 1, "\(label)")
        let folders = spool.entries(spool.configuration.rejectedDirectory)
        #expect(folders.count == 1, "\(label): \(folders)")
        if let folder = folders.first {
            #expect(spool.entries(spool.configuration.rejectedDirectory + "/" + folder) == ["reason.json", "upload"], "\(label)")
        }
        #expect(spool.entries(spool.configuration.dropDirectory).isEmpty, "\(label)")
    }

    @Test("A supplement's placement failing below the case folder logs the case's folder, never the folders the patient named")
    func supplementPlacementFaultsLogNoPatientPaths() throws {
        let (traced, caseID) = try Self.patientNamedSupplement()
        let caseFolder = traced.configuration.casesDirectory + "/" + caseID + "/"
        FaultInjection.arm(nil)
        _ = traced.intake.take("s")
        let trace = FaultInjection.disarm()
        // Each operation on a path inside the case's folder (its folders made and synced), by occurrence.
        let below = trace.enumerated().filter { $0.element.path.hasPrefix(caseFolder) }.map { index, entry in
            (entry.step, trace[...index].filter { $0.step == entry.step }.count)
        }
        #expect(Set(below.map(\.0)).isSuperset(of: [.mkdir, .directoryFsync]), "traced: \(trace.map { "\($0.step) \($0.path)" })")
        for (step, occurrence) in below {
            let (spool, _) = try Self.patientNamedSupplement()
            FaultInjection.arm(.init(step, occurrence: occurrence, code: EIO))
            let outcome = spool.intake.take("s")
            FaultInjection.disarm()
            guard case .retryLater(let message, _) = outcome else {
                Issue.record("\(step) #\(occurrence): the supplement must wait for a retry, got \(outcome)")
                continue
            }
            #expect(message.contains("cases/\(caseID)/…") && !message.contains("Jane"), "\(step) #\(occurrence): \(message)")
            let leaks = spool.logs.lines.filter { $0.contains("Jane") }
            #expect(leaks.isEmpty, "\(step) #\(occurrence): \(leaks)")
        }
    }

    /// A spool with one case (`web-a`) and, in the drop directory as `s`, a supplement whose folders carry the
    /// patient's name, as an upload page may let a patient choose.
    static func patientNamedSupplement() throws -> (Spool, String) {
        let spool = try Spool()
        try spool.dropBundle("a")
        guard case .stored(let caseID, _) = spool.intake.take("a") else { throw CancellationError() }
        var supplement = BundleBuilder(submissionID: "web-a-more")
        supplement.files = [
            ("Jane_Doe_1968-04-02/lumbar/IM000001", Samples.dicom("later"), "imaging", "application/dicom"),
            ("Jane_Doe_1968-04-02/report.pdf", Samples.pdf, "radiology_report", "application/pdf"),
        ]
        supplement.manifest["supplements"] = "web-a"
        for key in ["patient", "consent", "request"] { supplement.manifest[key] = nil }
        _ = try supplement.writeDirectory(in: URL(fileURLWithPath: spool.configuration.dropDirectory), name: "s")
        return (spool, caseID)
    }

    @Test("Start-up flags a stored case whose folder has gone, once, in the log and in the case's history")
    func caseWithoutFolderIsFlagged() throws {
        let spool = try Spool()
        try spool.dropBundle("b")
        guard case .stored(let caseID, _) = spool.intake.take("b") else {
            Issue.record("the bundle was not stored")
            return
        }
        try FileManager.default.removeItem(atPath: spool.configuration.casesDirectory + "/" + caseID)
        try spool.intake.prepare()
        try spool.intake.prepare()
        let flagged = try spool.count("SELECT count(*) FROM events WHERE type = 'repair' AND case_id = '\(caseID)' AND detail LIKE '%case_folder_missing%'")
        #expect(flagged == 1, "flagged once, not at every start")
        #expect(spool.logs.lines.filter { $0.hasPrefix("critical") && $0.contains(caseID) }.count == 1)
    }

    @Test("A full disk keeps failing until space returns; intake reports it and then resumes")
    func fullDiskThenSpace() throws {
        let spool = try Spool()
        try spool.dropBundle("one")
        FaultInjection.arm(.init(.write, code: ENOSPC, sticky: true))
        for _ in 1...3 {
            guard case .retryLater(_, diskFull: true) = spool.intake.take("one") else {
                Issue.record("a full disk must leave the upload waiting")
                break
            }
        }
        let since = spool.intake.problem?.since
        #expect(spool.intake.problem?.diskFull == true && since != nil)
        FaultInjection.disarm()
        guard case .stored = spool.intake.take("one") else {
            Issue.record("intake must resume once space returns")
            return
        }
        #expect(spool.intake.problem == nil)
    }
}
