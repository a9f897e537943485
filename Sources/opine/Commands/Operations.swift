import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine status`: is opined alive and well (exit 69 when not).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is opined alive and well? Its version and uptime, the drop-directory and webhook backlogs.",
        discussion: """
            opined rewrites a heartbeat file in the state directory every 2 seconds. Exit status 0 when it is fresh \
            and every working loop is beating; 69 when opined is not running, its heartbeat is older than 10 \
            seconds, a loop has stalled, intake is blocked by a full disk or an I/O error, or the spool or state \
            file system has less than 64 MiB free (so a monitoring check can run `opine status` as is). Dead webhook \
            deliveries are reported but do not change the exit status; alert on them through the metrics.
            """)

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try Context.run(options) { context in
            let configuration = context.configuration
            var heartbeat: DaemonHeartbeat?
            if let data = FileManager.default.contents(atPath: configuration.heartbeatPath) {
                heartbeat = try? JSONDecoder().decode(DaemonHeartbeat.self, from: data)
            }
            let age = heartbeat.flatMap { Timestamps.parse($0.at) }.map { Date().timeIntervalSince($0) }
            var problems = Self.daemonProblems(heartbeat, age: age, heartbeatPath: configuration.heartbeatPath)
            var free: [String: Int64] = [:]
            for (name, path) in [("spool", configuration.spoolDirectory), ("state", configuration.stateDirectory)] {
                guard let bytes = DiskSpace.available(at: path) else { continue }
                free[name] = bytes
                if bytes < DiskSpace.lowBytes {
                    problems.append("the file system holding \(path) has only \(bytes >> 20) MiB free: uploads will wait in the drop directory until space is freed")
                }
            }
            let backlog = (try? FileManager.default.contentsOfDirectory(atPath: configuration.dropDirectory))?
                .filter { !ReadinessPolicy.isInProgressName($0) }.count
            let webhooks = try context.store.stats().webhooks
            let healthy = problems.isEmpty
            if options.json {
                try Output.json(StatusOutput(
                    healthy: healthy, problems: problems, version: heartbeat?.version, pid: heartbeat.map { Int($0.pid) },
                    startedAt: heartbeat?.startedAt, heartbeatAgeSeconds: age, loops: heartbeat?.loops ?? [:],
                    dropBacklog: backlog, webhooks: webhooks, freeBytes: free,
                    intakeBlocked: heartbeat?.intakeBlocked.map(StatusOutput.IntakeBlocked.init)))
            } else {
                Output.line(healthy ? "opined is running." : "opined is NOT healthy.")
                for problem in problems { Output.line("  problem: \(problem)") }
                if let heartbeat {
                    Output.fields([
                        ("version", heartbeat.version), ("pid", String(heartbeat.pid)),
                        ("up since", "\(Output.minute(heartbeat.startedAt)) (\(Output.age(since: heartbeat.startedAt)))"),
                        ("audit head", heartbeat.auditHead?.description),
                    ])
                }
                Output.fields([
                    ("drop backlog", backlog.map { "\($0) upload\($0 == 1 ? "" : "s") waiting" } ?? "cannot read \(configuration.dropDirectory)"),
                    ("webhooks", "\(webhooks.pending) pending, \(webhooks.failed) retrying, \(webhooks.dead) dead"),
                ])
            }
            if !healthy { throw ExitCode(ExitStatus.unavailable.rawValue) }
        }
    }

    /// What is wrong with opined, judged from its heartbeat file and that file's age in seconds.
    static func daemonProblems(_ heartbeat: DaemonHeartbeat?, age: TimeInterval?, heartbeatPath: String) -> [String] {
        var problems: [String] = []
        if heartbeat == nil {
            problems.append("opined is not running (no heartbeat at \(heartbeatPath))")
        } else if let age, age > 10 {
            problems.append("opined's heartbeat is \(Int(age)) s old: it is stopped or hung")
        } else if heartbeat?.healthy == false {
            let stalled = heartbeat?.loops.filter { $0.value > 10 }.keys.sorted().joined(separator: ", ") ?? ""
            problems.append("a working loop has stalled (\(stalled)); systemd's watchdog will restart opined")
        }
        if let blocked = heartbeat?.intakeBlocked, let age, age <= 10 {
            let cause = blocked.diskFull ? "the disk is full" : "an I/O error"
            problems.append("intake is blocked since \(Output.minute(blocked.since)) by \(cause) (\(blocked.message)); uploads wait in the drop directory and are retried, and intake resumes by itself once the cause is fixed")
        }
        return problems
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
        try Context.run(options) { context in
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
