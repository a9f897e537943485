import Foundation
import Logging
import OpineCore
import Synchronization
import OpineIntake
import OpineLifecycle
import OpineStore

/// Runs the purge (`Purger`) a minute after start and then once a day, on a loop of its own, so a long purge delays
/// neither intake nor delivery. Its heartbeat beats after every removal, so a purge that wedges withholds the
/// watchdog like any wedged loop, and one that is merely long keeps it fed.
public final class PurgeScheduler: BlockingLoop {
    /// Seconds between purges: retention is counted in days.
    public static let interval = 86400.0
    /// Seconds after start before the first purge: start-up repairs and the first intake pass go first, and a
    /// daemon restarting in a loop does not purge on every start.
    public static let startDelay = 60.0

    let store: CaseStore
    let logger: Logger
    /// The loop's heartbeat (`purge`), beaten between removals; the supervisor watches it.
    public let heartbeat: Heartbeat
    private let configuration: Locked<Configuration>
    private let stopping = Atomic<Bool>(false)
    private let firstDelay: Double

    /// Purges `store` under `configuration.retention`; `firstDelay` (default `startDelay`) is when the first runs.
    public init(
        configuration: Configuration, store: CaseStore, logger: Logger, heartbeat: Heartbeat = Heartbeat(name: "purge"),
        firstDelay: Double = startDelay
    ) {
        self.configuration = Locked(configuration)
        self.store = store
        self.logger = logger
        self.heartbeat = heartbeat
        self.firstDelay = firstDelay
    }

    /// Uses reloaded retention settings from the next purge on.
    public func apply(_ configuration: Configuration) { self.configuration.withLock { $0 = configuration } }

    /// Asks `run()` to return.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Purges after `firstDelay`, then every `interval`, until `stop()`.
    public func run() throws {
        var next = Date().timeIntervalSince1970 + firstDelay
        while !stopping.load(ordering: .relaxed) {
            if Date().timeIntervalSince1970 >= next {
                purge()
                next = Date().timeIntervalSince1970 + Self.interval
            }
            heartbeat.beat()
            usleep(200_000)
        }
    }

    /// One purge; a failure is logged and retried at the next, since everything not removed is still due.
    func purge() {
        let heartbeat = self.heartbeat
        let purger = Purger(
            configuration: configuration.withLock { $0 }, store: store, actor: "opined", progress: { heartbeat.beat() },
            shouldStop: { [self] in stopping.load(ordering: .relaxed) })
        do {
            let report = try purger.run()
            if !report.items.isEmpty || report.attempts > 0 || !report.finished.isEmpty {
                logger.notice("purge: retention rules applied", metadata: [
                    "removed": "\(report.items.count)", "attempts": "\(report.attempts)", "finished": "\(report.finished.count)",
                ])
            }
            // The reason may name paths inside an upload, so it stays out; `opine purge` shows it to the group.
            for problem in report.problems {
                logger.error("purge: a removal failed; the next purge retries it (`opine purge` shows why)", metadata: ["what": "\(Self.logSafe(problem.subject))"])
            }
        } catch {
            // The error's text may name a set-aside folder, which can carry an uploader's file name: its type only.
            logger.error("the purge failed; retrying at the next (`opine purge --dry-run` shows why)", metadata: ["error": "\(type(of: error))"])
        }
    }

    /// Names a removal for the log: ids as they are, a set-aside folder (whose name can come from an upload) as
    /// intake's "set aside" line names it, so the two lines can be matched.
    static func logSafe(_ subject: RetentionSubject) -> String {
        switch subject {
        case .caseFiles(let caseID): "case \(caseID)"
        case .rejectedUpload(let id): "rejected upload \(id)"
        case .orphanedFolder(let name): "orphaned folder \(LogSafe.orphanedFolder(name))"
        }
    }
}
