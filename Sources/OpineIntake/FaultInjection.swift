#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore
import OpineStore
import Synchronization

/// One kind of operation intake performs while taking an upload. Each is a place a test can make fail.
public enum IntakeStep: String, CaseIterable, Sendable {
    /// The file-system calls intake makes: open, read, write, fsync, rename, mkdir and unlink.
    case open, read, write, fsync, rename, mkdir, unlink
    /// An fsync of a directory, making renames and new entries in it durable.
    case directoryFsync = "dirsync"
    /// The database commit of the case or the rejection.
    case commit
}

/// Makes chosen intake operations fail, so tests can prove that a failure at any step loses nothing. Inert (one
/// relaxed atomic load per operation) unless a test armed a fault or opined runs with `OPINE_TEST_FAULTS_FILE`.
public enum FaultInjection {
    /// Fail the `occurrence`-th call of `step` (counting from 1) with `code`; with `sticky`, every later call too,
    /// as a full disk would. Or, with `meanwhile`, let the call succeed but first do what an uploader might do at
    /// that very moment (change or swap a file).
    public struct Fault: Sendable {
        /// The kind of operation to fail.
        public var step: IntakeStep
        /// Which call of that kind, counting from 1 on the armed thread.
        public var occurrence: Int
        /// The errno to fail with, such as `ENOSPC` or `EIO`.
        public var code: Int32
        /// Keep failing every later call of that kind too.
        public var sticky: Bool
        /// Run this instead of failing, just before the operation proceeds.
        public var meanwhile: (@Sendable () -> Void)?

        /// A failure with errno `code` at the `occurrence`-th `step`, and every later one if `sticky`.
        public init(_ step: IntakeStep, occurrence: Int = 1, code: Int32, sticky: Bool = false) {
            self.step = step
            self.occurrence = occurrence
            self.code = code
            self.sticky = sticky
        }

        /// No failure: `meanwhile` runs just before the `occurrence`-th `step`, which then goes ahead.
        public init(_ step: IntakeStep, occurrence: Int = 1, meanwhile: @escaping @Sendable () -> Void) {
            self.init(step, occurrence: occurrence, code: 0)
            self.meanwhile = meanwhile
        }
    }

    /// Every operation seen on an armed thread, in order, so a test can tell what was done after a failure.
    public struct Trace: Sendable, Equatable {
        /// The kind of operation.
        public var step: IntakeStep
        /// The path it acted on.
        public var path: String
        /// The operation was made to fail (not merely interrupted by `meanwhile`).
        public var failed: Bool
    }

    private struct Armed {
        var faults: [Fault]
        var counts: [IntakeStep: Int] = [:]
        var trace: [Trace] = []
    }

    private static let anyArmed = Atomic<Bool>(false)
    /// Keyed by thread, so tests running in parallel in one process each see only their own faults.
    private static let armed = Locked<[UInt: Armed]>([:])

    private static let faultsFile = ProcessInfo.processInfo.environment["OPINE_TEST_FAULTS_FILE"]

    /// Arms `fault` (or only tracing, with nil) for intake work done on the calling thread until `disarm()`.
    public static func arm(_ fault: Fault?) {
        arm(fault.map { [$0] } ?? [])
    }

    /// Arms several faults at once (each counts its own step), for failures that must coincide.
    public static func arm(_ faults: [Fault]) {
        armed.withLock { $0[UInt(pthread_self())] = Armed(faults: faults) }
        anyArmed.store(true, ordering: .sequentiallyConsistent)
    }

    /// Stops injecting on the calling thread and returns what it traced.
    @discardableResult
    public static func disarm() -> [Trace] {
        armed.withLock { table in
            let trace = table.removeValue(forKey: UInt(pthread_self()))?.trace ?? []
            if table.isEmpty { anyArmed.store(false, ordering: .sequentiallyConsistent) }
            return trace
        }
    }

    /// Called by every intake operation before it acts; throws the injected failure, if one is due.
    static func check(_ step: IntakeStep, _ path: String) throws(IOFailure) {
        if faultsFile != nil {
            while isPaused(step, path) { usleep(20_000) }
            if let code = fileFault(step) { throw IOFailure(operation: "\(step.rawValue) (injected)", path: path, code: code) }
        }
        guard anyArmed.load(ordering: .relaxed) else { return }
        let due: Fault? = armed.withLock { table in
            let thread = UInt(pthread_self())
            guard var state = table[thread] else { return nil }
            state.counts[step, default: 0] += 1
            let count = state.counts[step]!
            let due = state.faults.first { fault in
                fault.step == step && (count == fault.occurrence || (fault.sticky && count > fault.occurrence))
            }
            state.trace.append(Trace(step: step, path: path, failed: due != nil && due?.meanwhile == nil))
            table[thread] = state
            return due
        }
        guard let due else { return }
        if let meanwhile = due.meanwhile { return meanwhile() }
        throw IOFailure(operation: "\(step.rawValue) (injected)", path: path, code: due.code)
    }

    /// For end-to-end tests of the real daemon: while a line `pause STEP FRAGMENT` (for example `pause read study`)
    /// stands in the file named by `OPINE_TEST_FAULTS_FILE`, every such operation on a path containing FRAGMENT
    /// waits, as a slow disk would, so a test can hold one upload mid-copy for as long as it needs.
    private static func isPaused(_ step: IntakeStep, _ path: String) -> Bool {
        guard let faultsFile, let text = try? String(contentsOfFile: faultsFile, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            let words = line.split(separator: " ")
            return words.count == 3 && words[0] == "pause" && words[1] == step.rawValue && path.contains(words[2])
        }
    }

    /// For end-to-end tests of the real daemon: while the file named by `OPINE_TEST_FAULTS_FILE` exists, each of its
    /// lines `STEP ERRNO` (for example `write ENOSPC`) makes every such operation fail, as a full disk would.
    private static func fileFault(_ step: IntakeStep) -> Int32? {
        guard let faultsFile, let text = try? String(contentsOfFile: faultsFile, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 2, words[0] == step.rawValue else { continue }
            switch words[1] {
            case "ENOSPC": return ENOSPC
            case "EIO": return EIO
            case "EDQUOT": return EDQUOT
            default: continue
            }
        }
        return nil
    }
}
