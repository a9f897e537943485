import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine status`: is opined alive and well (exit 0), working but waiting for a person (75), or not (69).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is opined alive and well? Its version and uptime, warnings, the waiting uploads and the webhook backlog.",
        discussion: """
            opined rewrites a heartbeat file in the state directory every 2 seconds, and marks it stopped when it \
            stops cleanly. Exit status 0 when it is fresh, every working loop is beating and nothing waits for a \
            person; 75 when opined works but something does: an endpoint is disabled (it answered 410 Gone) or \
            paused, or webhook deliveries are dead (each warning is named, with its fix); 69 when opined is stopped \
            or not running, its heartbeat is older than 10 seconds, a loop has stalled, intake is blocked by a full \
            disk or an I/O error, or the spool or state file system has less than 64 MiB free. A monitoring check \
            can run `opine status` as is, as root too: it only reads, and opens the database read-only. It lists \
            the 20 uploads in the drop directory that have been quiet longest, read by itself (so also while opined \
            is down), each with its digest (how opined's log names it), how long nothing in it changed, and why it \
            waits: still changing, incomplete (and what is missing), blocked intake, opined not running, or queued. \
            Upload names and missing files' paths may name a patient: text and JSON show them only on a terminal, \
            or with --names; output captured by a program (a monitoring check's, which may reach a log) names \
            uploads by digest and counts missing files.
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Show waiting uploads' names and missing files' paths (they may name a patient) when the output is not a terminal too.")
    var names = false

    func run() throws {
        try Context.run(options, access: .readOnly) { context in
            let configuration = context.configuration
            let heartbeat = FileManager.default.contents(atPath: configuration.heartbeatPath)
                .flatMap { try? JSONDecoder().decode(DaemonHeartbeat.self, from: $0) }
            let age = heartbeat.flatMap { Timestamps.parse($0.at) }.map { Date().timeIntervalSince($0) }
            let fileSystems = DiskSpace.watched(configuration)
            let backlog = DropBacklog.measure(configuration.dropDirectory, now: Date())?.uploads
            let naming = names || Self.onTerminal
            let waiting = Self.waitingUploads(configuration, heartbeat: heartbeat, age: age, namingPaths: naming)
            let webhooks = try context.store.stats().webhooks
            let configured = Set(configuration.webhooks.endpoints.map(\.name))
            let health = DaemonHealth(
                heartbeat: heartbeat, age: age, heartbeatPath: configuration.heartbeatPath, fileSystems: fileSystems,
                endpoints: try context.store.endpointHealth().values.filter { configured.contains($0.name) },
                deadDeliveries: webhooks.dead)
            if options.json {
                try Output.json(StatusOutput(
                    health: health, heartbeat: heartbeat, heartbeatAgeSeconds: age, dropBacklog: backlog, waiting: waiting, naming: naming, webhooks: webhooks,
                    freeBytes: Dictionary(uniqueKeysWithValues: fileSystems.map { ($0.name.rawValue, $0.freeBytes) })))
            } else {
                Self.print(health, heartbeat: heartbeat, backlog: backlog, webhooks: webhooks, dropDirectory: configuration.dropDirectory)
                Self.printWaiting(waiting, naming: naming)
            }
            if let status = Self.exitStatus(health.state) { throw ExitCode(status.rawValue) }
        }
    }

    /// The exit status of each verdict; nil for 0.
    static func exitStatus(_ state: DaemonHealth.State) -> ExitStatus? {
        switch state {
        case .healthy: nil
        case .warning: .warning
        case .unhealthy, .stopped: .unavailable
        }
    }

    private static func print(
        _ health: DaemonHealth, heartbeat: DaemonHeartbeat?, backlog: Int?, webhooks: DeliveryBacklog, dropDirectory: String
    ) {
        let headline = switch health.state {
        case .healthy: "opined is running."
        case .warning: "opined is running, with warnings."
        case .unhealthy: "opined is NOT healthy."
        case .stopped: "opined is stopped."
        }
        Output.line(headline)
        for problem in health.problems { Output.line("  problem: \(problem)") }
        for warning in health.warnings { Output.line("  warning: \(warning.message)") }
        if let heartbeat, health.state != .stopped {
            Output.fields([
                ("version", heartbeat.version), ("pid", String(heartbeat.pid)),
                ("up since", "\(Output.minute(heartbeat.startedAt)) (\(Output.age(since: heartbeat.startedAt)))"),
                ("audit head", heartbeat.auditHead?.description),
            ])
        }
        Output.fields([
            ("drop backlog", backlog.map { "\($0) upload\($0 == 1 ? "" : "s") waiting" } ?? "cannot read \(dropDirectory)"),
            ("webhooks", "\(webhooks.pending) pending, \(webhooks.failed) retrying, \(webhooks.dead) dead"),
        ])
    }
}

/// `opine check-config`: validate a configuration without starting anything.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file without starting anything.",
        discussion: """
            Reads FILE (or the configuration opine would use) with its OPINE_* environment overrides and reports the \
            first problem, naming the key and what is allowed. With --secrets it also reads every endpoint's secret \
            (run it as the service user, who can). Exit status 0 when valid, 78 when not.
            """)

    @Argument(help: "The file to check; default: --config, $OPINE_CONFIG, /etc/opine/opine.toml.") var file: String?

    @Option(name: .long, help: ArgumentHelp("Configuration file to read (same as FILE).", valueName: "file"))
    var config: String?

    @Flag(help: "Also read each endpoint's webhook secret.") var secrets = false

    @Flag(name: .long, help: "Print JSON for scripts instead of text.") var json = false

    func run() throws {
        do {
            let configuration = try OpineCore.Configuration.load(explicitPath: file ?? config)
            if secrets { _ = try configuration.webhooks.loadSigners(environment: ProcessInfo.processInfo.environment) }
            if json {
                try Output.json(CheckConfigOutput(
                    source: configuration.source, spool: configuration.spoolDirectory, state: configuration.stateDirectory,
                    endpoints: configuration.webhooks.endpoints.map(\.name), reviewers: configuration.reviewers.keys.sorted()))
            } else {
                Output.line("\(configuration.source): valid.")
                Output.fields([
                    ("spool", configuration.spoolDirectory), ("state", configuration.stateDirectory),
                    ("reviewers", configuration.reviewers.keys.sorted().joined(separator: ", ")),
                    ("endpoints", configuration.webhooks.endpoints.map { "\($0.name) (\($0.displayURL))" }.joined(separator: ", ")),
                    ("secrets", secrets ? "all readable" : "not checked (use --secrets)"),
                ])
            }
        } catch let error as ConfigurationError {
            if json {
                try Output.json(
                    CheckConfigFailureOutput(error: .init(code: .configuration, message: error.description)), toStandardError: true)
            } else {
                Output.error("configuration error: \(error)")
            }
            throw ExitCode(ExitStatus.configuration.rawValue)
        }
    }
}

/// `opine verify`: check the audit chain, the schema and the stored files (exit 65 when not intact).
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that nothing was tampered with: the audit chain, the schema, and every stored file's SHA-256.",
        discussion: """
            Each audit event carries the hash of the one before it, so an altered event and a deleted one are both \
            found; every case file is re-hashed and compared with what intake recorded. Reads only, and can run \
            while opined works. With --head SEQ:HASH (a head opined logged earlier, kept outside the database) it \
            also proves the chain still extends that head: a chain rewritten and rehashed as a whole passes the \
            plain check but no longer has that hash at that event. Prints the chain's head now, to keep. Exit status \
            0 when all is intact, 65 when anything is wrong (each problem is named).
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Check the database only, not the case files (much faster on a large store).")
    var skipFiles = false

    @Option(name: .long, help: ArgumentHelp("An audit head opined logged earlier; the chain must still extend it.", valueName: "seq:hash"))
    var head: String?

    func validate() throws {
        if let head, AuditHead(parsing: head) == nil {
            throw ValidationError("--head must be SEQ:HASH as opined logs it (an event id, a colon, 64 hex digits), not \(head)")
        }
    }

    func run() throws {
        try Context.run(options, access: .readOnly) { context in
            var report = try context.store.verify(casesDirectory: context.configuration.casesDirectory, files: !skipFiles)
            let anchor = head.flatMap(AuditHead.init(parsing:))
            let headProblem = try anchor.flatMap { try context.store.headProblem($0) }
            if let headProblem { report.problems.append(headProblem) }
            let now = try context.store.auditHead()
            if options.json {
                try Output.json(VerifyOutput(report, head: anchor, headProblem: headProblem, now: now))
            } else {
                for problem in report.problems { Output.line("problem: \(problem)") }
                Output.line("\(report.isClean ? "Intact" : "NOT intact"): \(report.eventsChecked) audit events, \(report.filesChecked) files (\(report.bytesChecked) bytes) checked\(skipFiles ? " (files skipped)" : "")\(anchor.map { ", extends head \($0.seq)" } ?? "").")
                Output.line("audit head: \(now)")
            }
            if !report.isClean { throw ExitCode(ExitStatus.dataError.rawValue) }
        }
    }
}
