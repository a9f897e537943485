import Dispatch
import Foundation
import Logging
import OpineConfiguration
import OpineCore
import OpineDelivery
import OpineIntake
import OpineStore

/// SIGHUP: re-read the configuration and apply what can change while running (webhook endpoints and secrets,
/// intake limits, metrics). A configuration that fails to load, or that moves the spool or state directory, is
/// refused with one log line and the one in force stays.
final class Reloader: Sendable {
    private let current: Locked<Configuration>
    private let environment: [String: String]
    private let reload: @Sendable () throws -> Configuration
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let apply: @Sendable (Configuration, [String: WebhookSigner]) -> Void

    init(
        current: Configuration, environment: [String: String], reload: @escaping @Sendable () throws -> Configuration,
        notifier: SystemdNotifier, logger: Logger, apply: @escaping @Sendable (Configuration, [String: WebhookSigner]) -> Void
    ) {
        self.current = Locked(current)
        self.environment = environment
        self.reload = reload
        self.notifier = notifier
        self.logger = logger
        self.apply = apply
    }

    /// Routes SIGHUP here instead of its default (which would end the process).
    func install() -> DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "opine.reload"))
        source.setEventHandler { [self] in reloadNow() }
        source.resume()
        return source
    }

    func reloadNow() {
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
        defer { notifier.notify("READY=1") }
        let old = current.withLock { $0 }
        do {
            let new = try reload()
            guard new.spoolDirectory == old.spoolDirectory, new.stateDirectory == old.stateDirectory else {
                throw ConfigurationError("paths.spool and paths.state cannot change while opined runs; restart it to move them")
            }
            let signers = try new.webhooks.loadSigners(environment: environment)
            apply(new, signers)
            current.withLock { $0 = new }
            logger.notice("configuration reloaded", metadata: [
                "endpoints": "\(new.webhooks.endpoints.map(\.name).joined(separator: ","))",
            ])
        } catch {
            logger.error("configuration reload refused; the previous configuration stays in force", metadata: ["error": "\(error)"])
        }
    }
}
