import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine history CASE`: the case's audit trail.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a case's audit trail: intake, every change, who made it and when.",
        discussion: """
            Also lists notes (`opine note`) and every disclosure of the case's data (`access` events: a letter read, \
            the files exported). CASE is a case id in any letter case, or a submission id that exactly one case has.

            Example: opine history c-20261126-0007
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The case id (or its submission id).") var caseID: String

    func run() throws {
        try Context.run(options) { context in
            let caseID = try context.caseID(caseID, submissions: true)
            let events = try context.store.history(of: caseID)
            if options.json {
                try Output.json(HistoryOutput(caseID: caseID, events: events.map(HistoryOutput.Event.init)))
                return
            }
            Output.table(["AT", "ACTOR", "EVENT", "STATE", "DETAIL"], events.map { event in
                let to = event.toState?.rawValue ?? ""
                // A move shows both states; an event that left the state as it was (an update, a re-triage) one.
                let state = event.fromState.flatMap { $0 == event.toState ? nil : "\($0.rawValue) → \(to)" } ?? to
                let detail = JSONText.decode(event.detail).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                return [Output.minute(event.at), event.actor, event.type.rawValue, state, detail]
            })
        }
    }
}

/// `opine rejected`: quarantined uploads and removed duplicates.
struct Rejected: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show uploads that did not become cases: quarantined with a reason, or removed as duplicates.",
        discussion: """
            Quarantined uploads are kept under the spool's rejected/ folder, each beside a reason.json. opined's log \
            never names an upload (names are often a patient's): it gives the DIGEST shown here, the first 12 \
            hexadecimal digits of the SHA-256 of the name, so a log line can be traced to its upload. REJECTION is \
            the refusal's id, the same as the bundle.rejected webhook's rejection_id; FAULT names the file within the \
            upload and/or the manifest field at fault.
            """)

    @OptionGroup var options: GlobalOptions

    @OptionGroup var page: PageOptions

    func run() throws {
        try Context.run(options) { context in
            var rows = try context.store.rejections(limit: page.limit + 1, offset: page.offset)
            let next = page.next(&rows)
            if options.json {
                let directory = context.configuration.rejectedDirectory
                try Output.json(RejectedOutput(
                    rejections: rows.map { RejectedOutput.Rejection($0, rejectedDirectory: directory) }, nextOffset: next))
                return
            }
            guard !rows.isEmpty else {
                Output.line("No rejected or duplicate uploads.")
                return
            }
            Output.table(["AT", "REJECTION", "DIGEST", "UPLOAD", "REASON", "FAULT", "DETAIL"], rows.map {
                [Output.minute($0.at), $0.publicID ?? "-", UploadDigest.of(displayedName: $0.uploadName), $0.uploadName, $0.code,
                 RejectedOutput.Rejection.fault($0), $0.message]
            })
            if let next { Output.line("More: repeat with --offset \(next)") }
        }
    }
}

/// `opine stats`: case counts, the oldest waiting case, rejections and the webhook backlog.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count cases by state and priority, and show the oldest waiting case.",
        discussion: """
            --prometheus prints the metrics opined writes to its textfile (docs/operations.md lists them): these \
            figures, each endpoint's state and backlog, and opined's own (up, heartbeat age, intake blocked, the \
            drop backlog, free space) as its heartbeat file shows them. Reads only; root may run it.
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print metrics in the Prometheus text format.") var prometheus = false

    func run() throws {
        try Context.run(options, access: .readOnly) { context in
            if prometheus {
                FileHandle.standardOutput.write(Data(try Self.metrics(context).prometheus().utf8))
                return
            }
            let stats = try context.store.stats()
            if options.json {
                try Output.json(StatsOutput(stats, turnaround: context.configuration.turnaround, now: Date()))
                return
            }
            Output.table(["STATE", "CASES"], CaseState.allCases.map { [$0.rawValue, String(stats.byState[$0.rawValue] ?? 0)] })
            Output.line()
            Output.table(["PRIORITY", "OPEN", "ALL"], Priority.allCases.map {
                [$0.rawValue, String(stats.openByPriority[$0.rawValue] ?? 0), String(stats.byPriority[$0.rawValue] ?? 0)]
            })
            Output.line()
            if let oldest = stats.oldestWaiting {
                Output.line("Oldest waiting: \(oldest.id) (\(oldest.state.rawValue), \(oldest.priority.rawValue)), waiting \(Output.age(since: oldest.receivedAt))")
            } else {
                Output.line("Oldest waiting: none")
            }
            Output.line("Rejected uploads: \(stats.rejected); duplicates removed: \(stats.duplicates)")
            let webhooks = stats.webhooks
            Output.line("Webhooks not yet delivered: \(webhooks.pending) pending, \(webhooks.failed) retrying, \(webhooks.dead) dead\(webhooks.dead > 0 ? " (see `opine deliveries --state dead`)" : "")")
        }
    }

    /// The store's figures, with opined's own read from its heartbeat file.
    static func metrics(_ context: Context) throws -> Metrics {
        let configuration = context.configuration
        let now = Date()
        var metrics = try context.store.metrics(
            now: now, turnaround: configuration.turnaround, endpoints: configuration.webhooks.endpoints.map(\.name))
        let heartbeat = FileManager.default.contents(atPath: configuration.heartbeatPath)
            .flatMap { try? JSONDecoder().decode(DaemonHeartbeat.self, from: $0) }
        metrics.daemon = DaemonFigures(heartbeat: heartbeat, now: now, configuration: configuration)
        return metrics
    }
}
