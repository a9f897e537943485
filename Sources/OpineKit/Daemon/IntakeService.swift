import Foundation
import Logging
import ServiceLifecycle

/// Runs the intake loop on its own thread as a ServiceLifecycle service: on SIGTERM the loop finishes the upload it is
/// taking (or leaves it untouched in the drop directory) and returns.
public struct IntakeService: Service {
    let loop: IntakeLoop

    public init(loop: IntakeLoop) {
        self.loop = loop
    }

    public func run() async throws {
        let loop = self.loop
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
                thread.name = "intake"
                thread.start()
            }
        } onGracefulShutdown: {
            loop.stop()
        }
    }
}

/// Everything `opined` does, given a configuration.
public enum Daemon {
    public static func run(configuration: Configuration, logger: Logger) async throws {
        try FileOperations.makeDirectories(configuration.stateDirectory)
        let store = try CaseStore(path: configuration.databasePath, mode: .createAndMigrate)
        let intake = Intake(configuration: configuration, store: store, logger: logger)
        try intake.prepare()
        let loop = try IntakeLoop(intake: intake, logger: logger)
        logger.info("opined started", metadata: [
            "version": "\(Opine.version)", "drop": "\(configuration.dropDirectory)", "state": "\(configuration.stateDirectory)",
        ])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: IntakeService(loop: loop))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("opined stopped")
    }
}
