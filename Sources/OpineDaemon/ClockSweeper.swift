import Foundation
import Logging
import OpineCore
import Synchronization
import OpineStore

/// Runs the turnaround clocks: on start and every few seconds it asks the store to sweep (`CaseStore.sweepClocks`,
/// which lets `TurnaroundPolicy` decide), and wakes the delivery worker when a notice was written. A loop of its own,
/// so a slow sweep delays neither intake nor delivery, and its heartbeat tells the watchdog if it wedges.
public final class ClockSweeper: BlockingLoop {
    /// Seconds between sweeps: due times are minutes to days, so a few seconds late is on time.
    public static let interval = 2.0

    let store: CaseStore
    let logger: Logger
    let heartbeat: Heartbeat?
    /// Wakes the delivery worker, as intake's `announce` does.
    let announce: @Sendable () -> Void
    private let policy: Locked<TurnaroundPolicy>
    private let stopping = Atomic<Bool>(false)

    /// Sweeps `store` under `policy`; `announce` is called after a sweep that wrote notices.
    public init(
        store: CaseStore, policy: TurnaroundPolicy, logger: Logger, heartbeat: Heartbeat? = nil,
        announce: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.policy = Locked(policy)
        self.logger = logger
        self.heartbeat = heartbeat
        self.announce = announce
    }

    /// Uses reloaded due times from the next sweep on.
    public func apply(_ policy: TurnaroundPolicy) { self.policy.withLock { $0 = policy } }

    /// Asks `run()` to return.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Sweeps at once, then every `interval`, until `stop()`.
    public func run() throws {
        var next = 0.0
        while !stopping.load(ordering: .relaxed) {
            let now = Date()
            if now.timeIntervalSince1970 >= next {
                sweep(now: now)
                next = now.timeIntervalSince1970 + Self.interval
            }
            heartbeat?.beat()
            usleep(50_000)
        }
    }

    /// One sweep; a failure is logged and retried at the next, since every notice it did not write is still due.
    func sweep(now: Date) {
        do {
            let written = try store.sweepClocks(policy.withLock { $0 }, now: now)
            guard written > 0 else { return }
            logger.notice("turnaround clocks: notices enqueued", metadata: ["notices": "\(written)"])
            announce()
        } catch {
            logger.error("the turnaround clock sweep failed; retrying at the next", metadata: ["error": "\(error)"])
        }
    }
}
