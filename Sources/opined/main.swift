import ArgumentParser
import Foundation
import Logging
import OpineConfiguration
import OpineCore
import OpineDaemon

/// `opined`: the Opine daemon. Watches the drop directory and turns valid bundles into cases.
@main
struct Opined: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opined",
        abstract: "Watch the drop directory, store each valid bundle as a case, and send the webhooks that announce changes.",
        discussion: """
            The configuration is read from --config, else $OPINE_CONFIG, else /etc/opine/opine.toml; any setting \
            can be overridden by its OPINE_* environment variable (see Config/opine.toml). Stop with SIGTERM: the \
            bundle being taken is finished or left untouched, and webhook attempts in flight finish (each within \
            its timeout). SIGHUP re-reads the configuration: webhook endpoints and secrets, intake limits and \
            metrics apply at once; a configuration that does not load is refused and the old one stays. Webhook secrets are read at start from each endpoint's secret_file or secret_env.

            Exit codes: 0 stopped cleanly; 78 configuration error (including a missing or malformed webhook secret); 1 any other failure.
            """,
        version: Opine.version)

    @Option(name: .long, help: ArgumentHelp("Configuration file to read.", valueName: "file"))
    var config: String?

    func run() async throws {
        let configuration: OpineCore.Configuration
        do {
            configuration = try .load(explicitPath: config)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("opined: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let level = configuration.logLevel.loggerLevel
        LoggingSystem.bootstrap { LineLogHandler(label: $0, level: level) }
        let logger = Logger(label: "opined")
        do {
            let path = config
            try await Daemon.run(configuration: configuration, logger: logger, reload: { try .load(explicitPath: path) })
        } catch let error as ConfigurationError {
            logger.critical("configuration error", metadata: ["error": "\(error)"])
            throw ExitCode(78)
        } catch {
            logger.critical("opined failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
