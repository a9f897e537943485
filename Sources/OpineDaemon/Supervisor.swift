import Foundation
import Logging
import OpineConfiguration
import OpineCore
import Synchronization
import OpineDelivery
import OpineIntake
import OpineStore

/// Watches the working loops and tells the outside world how opined is: `WATCHDOG=1` to systemd while every loop
/// beats, `STATUS=` with queue figures, a heartbeat file for `opine status`, and the Prometheus textfile if one is
/// configured. It does no intake or delivery itself, so a wedged loop cannot keep it quiet.
public final class Supervisor: BlockingLoop {
    let notifier: SystemdNotifier
    let heartbeats: [Heartbeat]
    let store: CaseStore
    let logger: Logger
    /// Why intake is blocked, if it is (a full disk), for the heartbeat file and `STATUS=`.
    let intakeProblem: @Sendable () -> Intake.Problem?
    let startedAt = Date()
    private let stopping = Atomic<Bool>(false)
    private let configuration: Locked<Configuration>

    /// Watches `heartbeats`; `intakeProblem` says whether intake is blocked, for the heartbeat file and `STATUS=`.
    public init(
        configuration: Configuration, notifier: SystemdNotifier, heartbeats: [Heartbeat], store: CaseStore, logger: Logger,
        intakeProblem: @escaping @Sendable () -> Intake.Problem? = { nil }
    ) {
        self.intakeProblem = intakeProblem
        self.configuration = Locked(configuration)
        self.notifier = notifier
        self.heartbeats = heartbeats
        self.store = store
        self.logger = logger
    }

    /// How long a working loop may sleep between beats.
    public static func maxIdle(for notifier: SystemdNotifier) -> Double { min(5, (notifier.watchdogInterval ?? 10) / 2) }

    /// Uses a reloaded configuration from the next pass on (the metrics file and its interval).
    public func apply(_ configuration: Configuration) { self.configuration.withLock { $0 = configuration } }

    /// Asks `run()` to return; on the way out it marks the heartbeat file stopped and writes the metrics once more.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Pings the watchdog, rewrites the heartbeat file (every 2 s), the status line (10 s) and metrics, and logs the
    /// audit chain's head once a day, until `stop()`.
    public func run() throws {
        var nextPing = 0.0, nextHeartbeatFile = 0.0, nextStatus = 0.0, nextMetrics = 0.0
        var nextHeadLog = Date().timeIntervalSince1970 + AuditHeadLog.interval
        var stalled: Set<String> = []
        while !stopping.load(ordering: .relaxed) {
            let now = Date().timeIntervalSince1970
            let configuration = self.configuration.withLock { $0 }
            // A loop is healthy while it beat within one ping interval (it sleeps at most half of one).
            let limit = notifier.watchdogInterval ?? 60
            let late = Set(heartbeats.filter { $0.age >= limit }.map(\.name))
            if late != stalled {
                for name in late.subtracting(stalled) {
                    logger.critical("a working loop has stopped beating; watchdog pings are withheld", metadata: ["loop": "\(name)"])
                }
                stalled = late
            }
            if let interval = notifier.watchdogInterval, now >= nextPing {
                if late.isEmpty { notifier.notify("WATCHDOG=1") }
                nextPing = now + interval
            }
            if now >= nextHeartbeatFile {
                writeHeartbeat(configuration, healthy: late.isEmpty)
                nextHeartbeatFile = now + 2
            }
            if now >= nextStatus {
                if let status = statusLine() { notifier.notify("STATUS=" + status) }
                nextStatus = now + 10
            }
            if let file = configuration.metricsFile, now >= nextMetrics {
                writeMetrics(to: file, configuration, up: true)
                nextMetrics = now + configuration.metricsInterval
            }
            if now >= nextHeadLog {
                AuditHeadLog.write(store, logger, .daily)
                nextHeadLog = now + AuditHeadLog.interval
            }
            usleep(50_000)
        }
        stopped(configuration.withLock { $0 })
    }

    /// A clean stop leaves a heartbeat marked stopped (so `opine status` says so at once, where a removed file would
    /// read as never started) and metrics that say down.
    private func stopped(_ configuration: Configuration) {
        let last = beat(healthy: false).stopped(at: Timestamps.format(Date()))
        if let data = try? JSONEncoder().encode(last) {
            try? FileOperations.replaceAtomically(Array(data), at: configuration.heartbeatPath, mode: 0o640, durable: true)
        }
        if let file = configuration.metricsFile { writeMetrics(to: file, configuration, up: false) }
    }

    /// Queue figures, never patient data: `12 open (1 emergency); webhooks 3 waiting, 0 dead`.
    func statusLine() -> String? {
        guard let stats = try? store.stats() else { return nil }
        let open = stats.openByPriority.values.reduce(0, +)
        let waiting = stats.webhooks.waiting
        let blocked = intakeProblem().map { $0.diskFull ? "; INTAKE BLOCKED: disk full" : "; INTAKE BLOCKED: I/O error" } ?? ""
        return "\(open) open (\(stats.openByPriority["emergency"] ?? 0) emergency); webhooks \(waiting) waiting, \(stats.webhooks.dead) dead\(blocked)"
    }

    private func beat(healthy: Bool) -> DaemonHeartbeat {
        DaemonHeartbeat(
            pid: getpid(), version: Opine.version, startedAt: Timestamps.format(startedAt), at: Timestamps.format(Date()),
            healthy: healthy, loops: Dictionary(uniqueKeysWithValues: heartbeats.map { ($0.name, ($0.age * 1000).rounded() / 1000) }),
            intakeBlocked: intakeProblem().map { .init(message: $0.message, diskFull: $0.diskFull, since: Timestamps.format($0.since)) },
            auditHead: try? store.auditHead())
    }

    private func writeHeartbeat(_ configuration: Configuration, healthy: Bool) {
        guard let data = try? JSONEncoder().encode(beat(healthy: healthy)) else { return }
        try? FileOperations.replaceAtomically(Array(data), at: configuration.heartbeatPath, mode: 0o640, durable: false)
    }

    /// The store's figures and opined's own: its loops, intake, the drop directory and free space. `up` is false
    /// only for the last write of a clean stop.
    private func writeMetrics(to file: String, _ configuration: Configuration, up: Bool) {
        do {
            let now = Date()
            var metrics = try store.metrics(
                now: now, turnaround: configuration.turnaround, endpoints: configuration.webhooks.endpoints.map(\.name))
            metrics.daemon.up = up
            metrics.daemon.heartbeatAgeSeconds = 0
            metrics.daemon.loopAgeSeconds = Dictionary(uniqueKeysWithValues: heartbeats.map { ($0.name, ($0.age * 1000).rounded() / 1000) })
            metrics.daemon.intakeBlocked = up && intakeProblem() != nil
            metrics.daemon.measureSpool(configuration, now: now)
            try FileOperations.replaceAtomically(Array(metrics.prometheus().utf8), at: file, mode: 0o644, durable: false)
        } catch {
            logger.warning("could not write the metrics file", metadata: ["path": "\(file)", "error": "\(error)"])
        }
    }
}
