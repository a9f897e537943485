import Foundation
@testable import OpineCore
@testable import OpineIntake
import Testing

/// Group commit under injected faults: three small bundles taken as one group (one durability point, one
/// transaction), every step of it failed in turn, with ENOSPC and with EIO, while another lane takes three more.
@Suite("A group of uploads under injected I/O faults: each upload stored once or left waiting, never half-done")
struct IntakeGroupFaultTests {
    static let names = ["a", "b", "c"]

    /// A spool with the three bundles waiting, and what each upload held.
    static func spool() throws -> (Spool, [String: [String: Data]]) {
        let spool = try Spool()
        var before: [String: [String: Data]] = [:]
        for name in names {
            try spool.dropBundle(name)
            before[name] = spool.snapshot(spool.configuration.dropDirectory + "/" + name)
        }
        return (spool, before)
    }

    @Test("A failure at any step of taking a group leaves each upload stored or waiting, and the retry stores the rest")
    func groupSurvivesEveryFault() throws {
        let (probe, _) = try Self.spool()
        FaultInjection.arm(nil)
        let clean = probe.intake.take(Self.names.map { ($0, nil) }, heartbeat: nil)
        let steps = FaultInjection.disarm()
        #expect(clean.allSatisfy { if case .stored = $0 { true } else { false } }, "\(clean)")
        #expect(steps.filter { $0.step == .commit }.count == 1, "one transaction for the group")
        let faults = InjectedFault.every(in: steps)
        for fault in faults { try check(fault) }
        print("group: \(faults.count) injected failures (\(InjectedFault.summary(steps)); ENOSPC and EIO each)")
    }

    /// One group taken with `fault` injected while another lane takes three more bundles at the same time (file by
    /// file, as the express lane does), then a retry without the fault.
    private func check(_ fault: InjectedFault) throws {
        let (spool, before) = try Self.spool()
        let others = ["d", "e", "f"]
        for name in others { try spool.dropBundle(name) }
        let intake = spool.intake, label = "\(fault)"
        let expressDone = DispatchSemaphore(value: 0)
        Thread {
            let outcomes = intake.take(others.map { ($0, nil) }, heartbeat: nil, fileByFile: true)
            #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } }, "\(label): the other lane: \(outcomes)")
            expressDone.signal()
        }.start()
        FaultInjection.arm(fault.fault)
        let outcomes = spool.intake.take(Self.names.map { ($0, nil) }, heartbeat: nil)
        FaultInjection.disarm()
        #expect(expressDone.wait(timeout: .now() + 60) == .success, "\(fault): the other lane finished")
        for (name, outcome) in zip(Self.names, outcomes) {
            let upload = spool.configuration.dropDirectory + "/" + name
            switch outcome {
            case .retryLater:
                #expect(spool.snapshot(upload) == before[name], "\(fault): \(name) must stay exactly as it was")
            case .stored:
                break
            default:
                Issue.record("\(fault): \(name) gave \(outcome)")
            }
        }
        let stored = outcomes.filter { if case .stored = $0 { true } else { false } }.count + others.count
        #expect(try spool.count("SELECT count(*) FROM cases") == stored, "\(fault): a case for each stored upload, no more")
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty, "\(fault): staging is cleaned")
        // The fault is gone: the rest is taken, nothing twice.
        let waiting = Self.names.filter { FileOperations.lstat(spool.configuration.dropDirectory + "/" + $0) != nil }
        _ = spool.intake.take(waiting.map { ($0, nil) }, heartbeat: nil)
        try spool.intake.prepare()
        #expect(try spool.count("SELECT count(*) FROM cases") == 6, "\(fault)")
        #expect(try spool.count("SELECT count(*) FROM events WHERE type = 'intake'") == 6, "\(fault)")
        #expect(spool.entries(spool.configuration.casesDirectory).count == 6, "\(fault): store folders are exactly the cases")
        #expect(spool.entries(spool.configuration.dropDirectory).isEmpty, "\(fault): every upload removed once stored")
        #expect(spool.entries(spool.configuration.stagingDirectory).isEmpty, "\(fault)")
    }
}
