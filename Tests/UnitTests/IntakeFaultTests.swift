import Crypto
import Foundation
import GRDB
import Logging
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
@testable import OpineDelivery
@testable import OpineDaemon
import OpineConfiguration
import OpineTestSupport
import Synchronization
import Testing

/// Fails every step of taking an upload in turn (open, read, write, fsync, rename, mkdir, unlink, directory fsync,
/// database commit), with ENOSPC and with EIO, and checks that nothing is lost or half-done each time.
@Suite("Intake under injected I/O faults")
struct IntakeFaultTests {
    /// A private spool, state directory and store, with intake's log lines collected.
    final class Spool {
        let root: String
        let configuration: OpineCore.Configuration
        let store: CaseStore
        let intake: Intake
        let logs = LogCollector()

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("opine-fault-\(UUID().uuidString.prefix(8))").path
            configuration = OpineCore.Configuration(source: "test", spoolDirectory: root + "/spool", stateDirectory: root + "/state")
            try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
            store = try CaseStore(path: configuration.databasePath, mode: .createAndMigrate)
            let logs = self.logs
            intake = Intake(configuration: configuration, store: store, logger: Logger(label: "test") { _ in logs })
            try intake.prepare()
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        /// Places a valid directory bundle (a report and one DICOM file of `dicomSize` bytes) in the drop directory
        /// as `name`; `broken` makes it one that must be rejected (manifest version 2).
        func dropBundle(_ name: String, broken: Bool = false, dicomSize: Int = 3160) throws {
            var builder = BundleBuilder(submissionID: "web-\(name)")
            builder.files[1].data = Samples.dicom(name, size: dicomSize)
            if broken { builder.manifest["version"] = 2 }
            _ = try builder.writeDirectory(in: URL(fileURLWithPath: configuration.dropDirectory), name: name)
        }

        /// Every path under `directory` with its bytes, to tell that an upload is exactly as it was.
        func snapshot(_ directory: String) -> [String: Data] {
            var files: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(atPath: directory)
            while let path = enumerator?.nextObject() as? String {
                files[path] = FileManager.default.contents(atPath: directory + "/" + path) ?? Data()
            }
            return files
        }

        func entries(_ directory: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        }

        func count(_ sql: String) throws -> Int {
            try store.pool.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
        }
    }

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

    static let codes: [(Int32, String)] = [(ENOSPC, "ENOSPC"), (EIO, "EIO")]

    @Test("A failure at any step of storing a bundle leaves the upload waiting, nothing half-done, and the next attempt succeeds")
    func storingSurvivesEveryFault() throws {
        let steps = try Self.traceCleanTake(broken: false)
        // Every kind of step a store takes must have been seen, or this test would prove less than it claims.
        #expect(Set(steps.map(\.step)) == Set(IntakeStep.allCases), "steps traced: \(Set(steps.map(\.step)))")
        var occurrences: [IntakeStep: Int] = [:]
        for step in steps { occurrences[step.step, default: 0] += 1 }

        for (step, count) in occurrences.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for occurrence in 1...count {
                for (code, codeName) in Self.codes {
                    try checkStore(step: step, occurrence: occurrence, code: code, label: "\(step.rawValue)#\(occurrence) \(codeName)")
                }
            }
        }
        print("storing: \(steps.count * Self.codes.count) injected failures (\(occurrences.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) ×\($0.value)" }.joined(separator: ", ")); ENOSPC and EIO each)")
    }

    private func checkStore(step: IntakeStep, occurrence: Int, code: Int32, label: String) throws {
        let spool = try Spool()
        try spool.dropBundle("b")
        let upload = spool.configuration.dropDirectory + "/b"
        let before = spool.snapshot(upload)

        FaultInjection.arm(.init(step, occurrence: occurrence, code: code))
        let outcome = spool.intake.take("b")
        let trace = FaultInjection.disarm()
        let failedAt = try #require(trace.firstIndex { $0.failed }, "\(label): the fault was never reached")

        switch outcome {
        case .retryLater(_, let diskFull):
            #expect(spool.snapshot(upload) == before, "\(label): the upload must stay exactly as it was")
            #expect(try spool.count("SELECT count(*) FROM cases") == 0, "\(label): no case may be committed")
            #expect(spool.entries(spool.configuration.casesDirectory).isEmpty, "\(label): nothing half-moved into the store")
            #expect(diskFull == (code == ENOSPC), "\(label)")
            #expect(spool.intake.problem?.diskFull == (code == ENOSPC), "\(label): the blocked intake is reported")
            #expect(spool.logs.lines.contains { $0.contains("intake failed") && $0.contains("injected") }, "\(label): the failure is logged")
        case .stored:
            // Only a failure after the commit (removing the upload, syncing the drop directory) can end here.
            #expect([.rename, .unlink, .directoryFsync, .open].contains(step), "\(label): stored despite a failure before the commit")
            #expect(trace[..<failedAt].contains { $0.step == .commit }, "\(label): stored although the commit never happened")
        default:
            Issue.record("\(label): unexpected outcome \(outcome)")
        }
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty, "\(label): staging is cleaned")

        // A failed fsync is never retried and trusted: nothing more is written or synced under the file it failed on.
        if [.fsync, .directoryFsync].contains(step) {
            let failedPath = trace[failedAt].path
            let later = trace[(failedAt + 1)...].filter { $0.path.hasPrefix(failedPath) && [.fsync, .directoryFsync, .write, .rename].contains($0.step) }
            #expect(later.isEmpty || step == .directoryFsync && failedPath == spool.configuration.dropDirectory,
                    "\(label): \(later) after the failed fsync of \(failedPath)")
        }

        // The fault is gone: the next attempt takes the upload (or sees it is already stored) and removes it.
        let uploadRemoved = FileOperations.lstat(upload) == nil
        let retry = spool.intake.take("b")
        switch retry {
        case .stored, .duplicate: break
        case .vanished where uploadRemoved: break
        default: Issue.record("\(label): the retry gave \(retry)")
        }
        #expect(spool.intake.problem == nil, "\(label): the problem clears once an upload is taken")
        #expect(try spool.count("SELECT count(*) FROM cases") == 1, "\(label)")
        let caseID = try #require(spool.entries(spool.configuration.casesDirectory).first, "\(label)")
        #expect(spool.entries(spool.configuration.casesDirectory).count == 1, "\(label)")
        let stored = spool.snapshot(spool.configuration.casesDirectory + "/" + caseID)
        for (path, data) in before where !data.isEmpty { #expect(stored[path] == data, "\(label): stored \(path) differs") }
        // A removal interrupted after the upload was renamed aside is finished at the next start.
        try spool.intake.prepare()
        #expect(spool.entries(spool.configuration.dropDirectory).isEmpty, "\(label): the upload is removed once stored")
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty, "\(label)")
        #expect(try spool.count("SELECT count(*) FROM events WHERE type = 'intake'") == 1, "\(label)")
    }

    @Test("A failure at any step of quarantining a rejected upload leaves it waiting, and the next attempt quarantines it once")
    func quarantineSurvivesEveryFault() throws {
        let steps = try Self.traceCleanTake(broken: true)
        var occurrences: [IntakeStep: Int] = [:]
        for step in steps { occurrences[step.step, default: 0] += 1 }
        #expect(occurrences[.commit] == 1 && occurrences[.rename] ?? 0 >= 2 && occurrences[.directoryFsync] ?? 0 >= 2)

        for (step, count) in occurrences.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for occurrence in 1...count {
                for (code, codeName) in Self.codes {
                    let label = "quarantine \(step.rawValue)#\(occurrence) \(codeName)"
                    let spool = try Spool()
                    try spool.dropBundle("bad", broken: true)
                    let upload = spool.configuration.dropDirectory + "/bad"
                    let before = spool.snapshot(upload)
                    FaultInjection.arm(.init(step, occurrence: occurrence, code: code))
                    let outcome = spool.intake.take("bad")
                    FaultInjection.disarm()
                    if case .retryLater = outcome {
                        #expect(spool.snapshot(upload) == before, "\(label): the upload must stay exactly as it was")
                        #expect(spool.entries(spool.configuration.rejectedDirectory).isEmpty, "\(label): no half-made quarantine folder")
                        #expect(try spool.count("SELECT count(*) FROM rejections") == 0, "\(label)")
                        #expect(spool.logs.lines.contains { $0.contains("injected") }, "\(label): the failure is logged")
                    } else {
                        #expect(outcome == .rejected(.unsupportedVersion), "\(label): \(outcome)")
                    }
                    if case .retryLater = outcome {
                        #expect(spool.intake.take("bad") == .rejected(.unsupportedVersion), "\(label)")
                    }
                    #expect(try spool.count("SELECT count(*) FROM rejections") == 1, "\(label)")
                    let folders = spool.entries(spool.configuration.rejectedDirectory)
                    #expect(folders.count == 1, "\(label): \(folders)")
                    if let folder = folders.first {
                        #expect(spool.entries(spool.configuration.rejectedDirectory + "/" + folder) == ["reason.json", "upload"], "\(label)")
                    }
                    #expect(spool.entries(spool.configuration.dropDirectory).isEmpty, "\(label)")
                }
            }
        }
    }

    @Test("An upload changed while it is being taken: the stored copy is exactly what was checked, or nothing is stored")
    func changedWhileTaken() throws {
        // Which read and which open touch the DICOM file, learned from a clean take of the same bundle.
        let probe = try Spool()
        try probe.dropBundle("b", dicomSize: 3 << 20)
        FaultInjection.arm(nil)
        _ = probe.intake.take("b")
        let trace = FaultInjection.disarm()
        func occurrence(_ step: IntakeStep, _ nth: Int) throws -> Int {
            let steps = trace.filter { $0.step == step }
            let touching = steps.indices.filter { steps[$0].path == "MRI/IM000001" }
            return try #require(touching.dropFirst(nth - 1).first, "no \(step) #\(nth) of the DICOM file") + 1
        }

        // Rewritten after intake read its first MiB: what was read no longer hashes to the manifest's value.
        let midway = try Spool()
        try midway.dropBundle("b", dicomSize: 3 << 20)
        let dicom = midway.configuration.dropDirectory + "/b/MRI/IM000001"
        FaultInjection.arm(.init(.read, occurrence: try occurrence(.read, 2)) { Self.overwrite(dicom) })
        let midwayOutcome = midway.intake.take("b")
        FaultInjection.disarm()
        #expect(midwayOutcome == .rejected(.checksumMismatch))
        #expect(try midway.count("SELECT count(*) FROM cases") == 0)
        #expect(midway.entries(midway.configuration.casesDirectory).isEmpty && midway.entries(midway.configuration.stagingDirectory).isEmpty)

        // Rewritten after the last byte was read, just before the commit: the store keeps the bytes that were checked.
        let late = try Spool()
        try late.dropBundle("b", dicomSize: 3 << 20)
        let lateDicom = late.configuration.dropDirectory + "/b/MRI/IM000001"
        let original = try Data(contentsOf: URL(fileURLWithPath: lateDicom))
        FaultInjection.arm(.init(.commit) { Self.overwrite(lateDicom) })
        let lateOutcome = late.intake.take("b")
        FaultInjection.disarm()
        guard case .stored(let caseID, _) = lateOutcome else {
            Issue.record("a change after the check must not stop the checked copy being stored: \(lateOutcome)")
            return
        }
        let stored = try Data(contentsOf: URL(fileURLWithPath: late.configuration.casesDirectory + "/\(caseID)/MRI/IM000001"))
        #expect(stored.dropFirst(128) == original.dropFirst(128), "the stored copy is what was hashed, not what the file became")

        // Swapped for a symlink to a secret between the listing and the open: never followed.
        let swapped = try Spool()
        try swapped.dropBundle("b")
        let target = swapped.configuration.dropDirectory + "/b/MRI/IM000001"
        FaultInjection.arm(.init(.open, occurrence: try occurrence(.open, 1)) {
            unlink(target)
            symlink("/etc/passwd", target)
        })
        var outcome = swapped.intake.take("b")
        FaultInjection.disarm()
        if case .retryLater = outcome { outcome = swapped.intake.take("b") }
        #expect(outcome == .rejected(.specialFile))
        #expect(try swapped.count("SELECT count(*) FROM cases") == 0)
        #expect(swapped.entries(swapped.configuration.casesDirectory).isEmpty && swapped.entries(swapped.configuration.stagingDirectory).isEmpty)
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

    /// Rewrites a file in place with other bytes of the same size, as an uploader still writing might.
    static func overwrite(_ path: String) {
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        let junk = [UInt8](repeating: 0xAB, count: Int(size) - 200)
        _ = pwrite(fd, junk, junk.count, 200)
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

/// Keeps every log line a test's intake wrote.
final class LogCollector: LogHandler, @unchecked Sendable {
    private let storage = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var lines: [String] { storage.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        storage.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
    }
}
