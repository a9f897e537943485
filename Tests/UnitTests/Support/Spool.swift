import Foundation
import GRDB
import Logging
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
import OpineTestSupport

/// A private spool, state directory and store with intake over them and its log lines collected: for unit tests that
/// drive intake directly, and inject faults into it, without a daemon.
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

    /// Places a valid directory bundle (a report and one DICOM file of `dicomSize` bytes) in the drop directory as
    /// `name`; `broken` makes it one that must be rejected (manifest version 2).
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

    /// The names in `directory`, sorted; none if it does not exist.
    func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// The single integer a `SELECT count(*)` query answers.
    func count(_ sql: String) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }
}

/// One fault to inject into intake: fail the `occurrence`-th time it reaches `step` with `code`.
struct InjectedFault: CustomStringConvertible {
    var step: IntakeStep
    var occurrence: Int
    var code: Int32
    var codeName: String

    /// The errors each step is failed with in turn: a full disk and a failing disk.
    static let codes: [(code: Int32, name: String)] = [(ENOSPC, "ENOSPC"), (EIO, "EIO")]

    /// Every fault a traced run allows: each occurrence of each step it took, with each of `codes`, in step order.
    static func every(in trace: [FaultInjection.Trace]) -> [InjectedFault] {
        stepCounts(trace).sorted { $0.key.rawValue < $1.key.rawValue }.flatMap { step, count in
            (1...count).flatMap { occurrence in
                codes.map { InjectedFault(step: step, occurrence: occurrence, code: $0.code, codeName: $0.name) }
            }
        }
    }

    /// How many times each step occurs in `trace`.
    static func stepCounts(_ trace: [FaultInjection.Trace]) -> [IntakeStep: Int] {
        trace.reduce(into: [:]) { counts, entry in counts[entry.step, default: 0] += 1 }
    }

    /// `step ×count, …` in step order, for a test's summary line.
    static func summary(_ trace: [FaultInjection.Trace]) -> String {
        stepCounts(trace).sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) ×\($0.value)" }.joined(separator: ", ")
    }

    /// The fault to arm.
    var fault: FaultInjection.Fault { .init(step, occurrence: occurrence, code: code) }

    var description: String { "\(step.rawValue)#\(occurrence) \(codeName)" }
}

/// Keeps every log line a test's intake wrote.
final class LogCollector: LogHandler, @unchecked Sendable {
    private let storage = Locked<[String]>([])
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
