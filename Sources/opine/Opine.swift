import ArgumentParser
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine`: the administration command and its subcommands.
@main
struct OpineCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opine",
        abstract: "See the second-opinion queue and move cases through review.",
        discussion: """
            A case moves received → triaged → reviewed → responded, or to withdrawn from any open state; \
            request-info puts a received or triaged case on hold until the patient sends what was asked for, and \
            amend adds an addendum after review or response (docs/workflow.md). \
            Every change is recorded in the case's history with who made it, and announced to the practice's \
            other systems as signed webhooks: `opine deliveries` shows what was sent, `opine endpoints` how each \
            receiver is doing.

            The configuration is read from --config, else $OPINE_CONFIG, else /etc/opine/opine.toml. You act as \
            your login name; an admin may act for someone else with --as.

            Exit codes: 0 success; 2 no such case, delivery or endpoint; 3 refused (the workflow does not allow it, or someone else \
            changed the case first, or a hold is already on or off); 64 usage error, unreadable input file, or a backup or restore target that cannot be written or is not empty; 65 opine verify found tampering, or a letter, case file or backup archive member no longer matches its SHA-256 (opine letter, opine export, opine backup, opine restore), or opine pack's answers or folder, or the bundle opine validate checked, is invalid; 66 no such folder, file or bundle (pack, validate); 69 opined stopped or unavailable (opine status); \
            73 opine pack's output exists or cannot be created; 74 a read or write failed (pack, validate); 75 opined works but something waits for a person (opine status: a disabled or paused endpoint, dead deliveries); \
            77 not permitted (as root against the service's database, a command that writes or shows patient data: only status, \
            stats, list, deliveries, endpoints and verify run as root, read-only); 78 configuration error; 1 internal error.
            """,
        version: Opine.version,
        // Grouped by who uses them: the desk (coordinators and surgeons), whoever looks after the systems that
        // receive the webhooks, the server's operators, and whoever sends uploads (integrators, SFTP users).
        groupedSubcommands: [
            CommandGroup(name: "Desk", subcommands: [
                List.self, Find.self, Show.self, Triage.self, Review.self, Respond.self, Withdraw.self, RequestInfo.self,
                Amend.self, Note.self, History.self, Letter.self, Export.self,
            ]),
            CommandGroup(name: "Webhook", subcommands: [Deliveries.self, Redeliver.self, Endpoints.self]),
            CommandGroup(name: "Operations", subcommands: [
                Rejected.self, Stats.self, Status.self, CheckConfig.self, Backup.self, Restore.self, Verify.self,
                Purge.self, Hold.self, Release.self, Orphaned.self,
            ]),
            CommandGroup(name: "Uploads", subcommands: [Pack.self, Validate.self]),
        ])

    /// Parses and runs like ArgumentParser's own `main`, except that with `--json` an argument error (an unknown
    /// option, a missing or bad value, a failed validation) is printed as the documented JSON error, exit 64, so a
    /// script reads every failure the same way. Help and version requests are left as they are.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if !(error is ExitCode), arguments.contains("--json"), exitCode(for: error) == .validationFailure {
                let message = message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
                let plain = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
                let output = ErrorOutput(error: .init(code: .usage, message: plain))
                if (try? Output.json(output, toStandardError: true)) != nil { Self.exit(withError: ExitCode(ExitStatus.usage.rawValue)) }
            }
            exit(withError: error)
        }
    }
}
