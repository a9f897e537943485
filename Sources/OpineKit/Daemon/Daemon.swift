import Foundation
import Logging
import ServiceLifecycle

/// A loop that blocks its thread until asked to stop: intake and webhook delivery each are one.
public protocol BlockingLoop: Sendable {
    func run() throws
    func stop()
}

extension IntakeLoop: BlockingLoop {}
extension DeliveryWorker: BlockingLoop {}

/// Runs a blocking loop on a thread of its own (never on the small cooperative pool) as a ServiceLifecycle
/// service; on SIGTERM the loop is asked to stop and the service ends when it returns.
public struct ThreadService: Service {
    let name: String
    let loop: any BlockingLoop

    public init(name: String, loop: any BlockingLoop) {
        self.name = name
        self.loop = loop
    }

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
            loop.stop()
        }
    }
}

/// Everything `opined` does, given a configuration.
public enum Daemon {
    public static func run(
        configuration: Configuration, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws {
        // Secrets are read before anything starts, so a missing one stops the daemon with a configuration error.
        var signers: [String: WebhookSigner] = [:]
        for endpoint in configuration.webhooks.endpoints {
            signers[endpoint.name] = try endpoint.loadSigner(environment: environment)
        }
        try FileOperations.makeDirectories(configuration.stateDirectory)
        let store = try CaseStore(path: configuration.databasePath, mode: .createAndMigrate)
        let worker = DeliveryWorker(store: store, settings: configuration.webhooks, signers: signers, logger: logger)
        let intake = Intake(configuration: configuration, store: store, logger: logger, announce: { worker.wake() })
        try intake.prepare()
        let loop = try IntakeLoop(intake: intake, logger: logger)
        logger.info("opined started", metadata: [
            "version": "\(Opine.version)", "drop": "\(configuration.dropDirectory)", "state": "\(configuration.stateDirectory)",
            "endpoints": "\(configuration.webhooks.endpoints.map(\.name).joined(separator: ","))",
        ])
        let group = ServiceGroup(
            configuration: .init(
                // Shut down in reverse: intake stops first, then delivery finishes what is in flight.
                services: [
                    .init(service: ThreadService(name: "delivery", loop: worker)),
                    .init(service: ThreadService(name: "intake", loop: loop)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("opined stopped")
    }
}
