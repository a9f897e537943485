import Foundation
import Logging
import OpineConfiguration
import OpineCore
import OpineDelivery
import OpineIntake
import OpineStore
import ServiceLifecycle

/// A loop that blocks its thread until asked to stop: intake and webhook delivery each are one.
public protocol BlockingLoop: Sendable {
    /// Does the loop's work on the calling thread until `stop()` is called, then returns.
    func run() throws
    /// Asks `run()` to return soon; safe to call from any thread.
    func stop()
}

extension IntakeLoop: BlockingLoop {}
extension DeliveryWorker: BlockingLoop {}

/// Runs a blocking loop on a thread of its own (never on the small cooperative pool) as a ServiceLifecycle
/// service; on SIGTERM the loop is asked to stop and the service ends when it returns.
public struct ThreadService: Service {
    let name: String
    let loop: any BlockingLoop
    let onShutdown: @Sendable () -> Void

    /// Wraps `loop`; `name` names its thread, `onShutdown` runs first when shutdown begins.
    public init(name: String, loop: any BlockingLoop, onShutdown: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.loop = loop
        self.onShutdown = onShutdown
    }

    /// Runs the loop on a new thread until it returns; a graceful shutdown asks it to stop.
    public func run() async throws {
        let loop = self.loop
        let name = self.name
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let thread = Thread {
                    do {
                        try loop.run()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = name
                thread.start()
            }
        } onGracefulShutdown: {
            onShutdown()
            loop.stop()
        }
    }
}

/// Everything `opined` does, given a configuration. `reload` re-reads the configuration on SIGHUP.
public enum Daemon {
    /// Opens the store, starts intake, delivery and the supervisor, and runs until SIGTERM or SIGINT. Webhook secrets
    /// are read first, so a missing or malformed one throws before anything starts.
    public static func run(
        configuration: Configuration, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        reload: @escaping @Sendable () throws -> Configuration
    ) async throws {
        let notifier = SystemdNotifier(environment: environment)
        // Secrets are read before anything starts, so a missing one stops the daemon with a configuration error.
        let signers = try configuration.webhooks.loadSigners(environment: environment)
        try FileOperations.makeDirectories(configuration.stateDirectory)
        let store = try CaseStore(path: configuration.databasePath, mode: .createAndMigrate)
        let intakeBeat = Heartbeat(name: "intake"), deliveryBeat = Heartbeat(name: "delivery"), clocksBeat = Heartbeat(name: "clocks")
        // Each intake lane beats its own, so a lane wedged in a copy withholds the watchdog like a wedged loop.
        let laneBeats = IntakeQueue.Lane.allCases.map { Heartbeat(name: IntakeLoop.heartbeatName($0)) }
        let maxIdle = Supervisor.maxIdle(for: notifier)
        let worker = DeliveryWorker(
            store: store, settings: configuration.webhooks, signers: signers, logger: logger,
            pollInterval: min(0.5, maxIdle), heartbeat: deliveryBeat)
        let intake = Intake(configuration: configuration, store: store, logger: logger, announce: { worker.wake() })
        let clocks = ClockSweeper(
            store: store, policy: configuration.turnaround, logger: logger, heartbeat: clocksBeat, announce: { worker.wake() })
        try intake.prepare()
        let supervisor = Supervisor(
            configuration: configuration, notifier: notifier, heartbeats: [intakeBeat, deliveryBeat, clocksBeat] + laneBeats,
            store: store, logger: logger, intakeProblem: { intake.problem })
        let loop = try IntakeLoop(
            intake: intake, logger: logger, maxIdle: maxIdle, laneHeartbeats: laneBeats, onPass: { intakeBeat.beat() },
            onReady: {
                notifier.notify("READY=1\nSTATUS=" + (supervisor.statusLine() ?? "ready"))
                let released = StartupPages.release()
                logger.info("opined ready", metadata: ["startup_code_released_kib": "\(released / 1024)"])
            })
        logStart(configuration, logger)
        AuditHeadLog.write(store, logger, .start)
        let reloader = Reloader(
            current: configuration, environment: environment, reload: reload, notifier: notifier, logger: logger,
            apply: { configuration, signers in
                intake.apply(configuration.intake)
                worker.apply(settings: configuration.webhooks, signers: signers)
                supervisor.apply(configuration)
                clocks.apply(configuration.turnaround)
            })
        let hangup = reloader.install()
        defer { hangup.cancel() }
        let group = serviceGroup(supervisor: supervisor, worker: worker, clocks: clocks, loop: loop, notifier: notifier, logger: logger)
        try await group.run()
        // Fold the write-ahead log back into the database, so a backup of the file alone is whole.
        _ = try? await store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        AuditHeadLog.write(store, logger, .stop)
        logger.info("opined stopped")
    }

    private static func logStart(_ configuration: Configuration, _ logger: Logger) {
        logger.info("opined started", metadata: [
            "version": "\(Opine.version)", "drop": "\(configuration.dropDirectory)", "state": "\(configuration.stateDirectory)",
            "endpoints": "\(configuration.webhooks.endpoints.map(\.name).joined(separator: ","))",
        ])
    }

    /// The four loops as services. They shut down in reverse: intake stops first, then the clocks, then delivery
    /// finishes what is in flight, then the supervisor.
    private static func serviceGroup(
        supervisor: Supervisor, worker: DeliveryWorker, clocks: ClockSweeper, loop: IntakeLoop, notifier: SystemdNotifier,
        logger: Logger
    ) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: ThreadService(name: "supervisor", loop: supervisor)),
                    .init(service: ThreadService(name: "delivery", loop: worker)),
                    .init(service: ThreadService(name: "clocks", loop: clocks)),
                    .init(service: ThreadService(name: "intake", loop: loop, onShutdown: {
                        notifier.notify("STOPPING=1")
                        logger.info("stopping")
                    })),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
    }
}
