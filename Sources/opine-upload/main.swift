import ArgumentParser
import Foundation
import Logging
import OpineConfiguration
import OpineCore
import OpineUpload

/// `opine-upload`: the patients' front door. Runs until stopped; systemd runs it as deploy/opine-upload.service.
@main
struct OpineUploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opine-upload",
        abstract: "Serve the patients' upload page: resumable uploads into opined's drop directory, receipts and status.",
        discussion: """
            Reads --config, else $OPINE_UPLOAD_CONFIG, else /etc/opine/upload.toml (Config/upload.toml is the \
            commented default); OPINE_UPLOAD_<SECTION>_<KEY> variables override it. Listen only on a loopback address \
            or a unix socket, behind the practice's TLS reverse proxy (docs/upload.md shows nginx).

            Exit codes: 0 stopped cleanly; 78 the configuration or a folder is unusable (the message says which and \
            how to fix it); 1 anything else.
            """,
        version: Opine.version
    )

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("The page's assets folder (default: the installed copy, else the source tree's).", valueName: "DIR"))
    var assets: String?

    @Flag(name: .long, help: "Check the configuration and folders, print a summary, and exit.")
    var checkConfig = false

    func run() async throws {
        let settings: UploadSettings
        let service: UploadService
        var logger = Logger(label: "opine-upload")
        do {
            settings = try UploadSettings.load(explicitPath: config)
            logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
            service = try UploadService(settings: settings, assets: try Assets(directory: assets ?? Assets.defaultDirectory()), logger: logger)
        } catch {
            FileHandle.standardError.write(Data("opine-upload: \(error)\n".utf8))
            throw ExitCode(78)
        }
        if checkConfig {
            print("configuration \(settings.source) is valid; listening on \(settings.listen), writing bundles to \(settings.dropDirectory)")
            return
        }
        try await service.run()
    }
}
