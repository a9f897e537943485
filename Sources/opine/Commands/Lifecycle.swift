import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineLifecycle
import OpineStore

/// `opine purge`: apply the retention rules now.
struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove the patient data the retention rules say is due (opined does this daily).",
        discussion: """
            Under [retention] in the configuration: refused uploads in rejected/, withdrawn and responded cases' files \
            (their patient fields are scrubbed from the database; ids, dates, priority and states stay), old webhook \
            delivery attempts, and set-aside folders in orphaned/. A case under hold (`opine hold`) is never purged. \
            Each removal writes a tombstone into the audit trail first, then the files go; an interrupted purge is \
            finished by the next. --dry-run lists what would go and changes nothing.

            Run it as the service user, who owns the files: sudo -u opine opine purge. Anyone in the opine group may \
            run --dry-run.

            Exit codes: 0 done (or nothing due); 1 a removal failed (listed, also when its tombstone was written; the \
            next purge finishes it); 77 not the user who can remove the files (nothing was purged), or run as root \
            against the service's database; 78 configuration error.

            Example: opine purge --dry-run
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "List what would be removed; change nothing.")
    var dryRun = false

    func run() throws {
        try Context.run(options) { context in
            let purger = Purger(configuration: context.configuration, store: context.store, actor: Context.loginName())
            let report: PurgeReport
            do {
                report = try purger.run(dryRun: dryRun)
            } catch let error as PurgePermissionError {
                throw PermissionProblem(description: error.description)
            }
            if options.json {
                try Output.json(PurgeOutput(report))
            } else {
                printText(report)
            }
            if !report.problems.isEmpty { throw ExitCode(ExitStatus.internalError.rawValue) }
        }
    }

    private func printText(_ report: PurgeReport) {
        let verb = report.dryRun ? "would remove" : "removed"
        for name in report.finished { Output.line("finished an interrupted removal: \(name)".escapedForDisplay) }
        if report.items.isEmpty {
            if report.problems.isEmpty { Output.line("Nothing is due under the retention rules.") }
        } else {
            Output.table(["WHAT", "TARGET", "RULE", "SINCE"], report.items.map {
                [$0.kind.rawValue, $0.target, $0.rule.rawValue, Output.minute($0.since)]
            })
        }
        if let before = report.attemptsBefore {
            Output.line("Delivery attempts before \(Output.minute(before)): \(verb) \(report.attempts).")
        }
        for problem in report.problems { Output.error("\(problem.subject): \(problem.reason)") }
        if report.dryRun { Output.line("Dry run: nothing was changed; `opine purge` removes these.") }
    }
}

/// `opine hold CASE --reason TEXT`: a legal hold.
struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a case under legal hold: the purge leaves its files and patient data alone until released.",
        discussion: """
            The hold, its reason and who put it on are recorded as a `hold` event in the case's history and shown by \
            `opine show`. It does not change the case's state or send any webhook. `opine release CASE` lifts it.

            Exit codes: 0 held; 2 no such case; 3 already held, or already purged; 64 no reason given.

            Example: opine hold c-20261126-0007 --reason "Records request from counsel, ref 2026-114"
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("Why the case is held (recorded in its history).", valueName: "text"))
    var reason: String

    func validate() throws {
        if reason.isBlank { throw ValidationError("--reason must not be empty; say why the case is held") }
    }

    func run() throws {
        try Context.run(options) { context in
            let actor = try context.deskActor(acting)
            let caseID = try context.caseID(caseID)
            let event = try context.store.hold(caseID, reason: reason, by: actor)
            if options.json {
                try Output.json(HoldOutput(id: caseID, held: true, event: event.id ?? 0, actor: actor.name, at: event.at))
            } else {
                Output.line("\(caseID): under hold; the purge leaves it alone until `opine release \(caseID)`.")
            }
        }
    }
}

/// `opine release CASE`: lifts a legal hold.
struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lift a case's legal hold: the retention rules apply to it again.",
        discussion: """
            Recorded as a `release` event in the case's history. The retention clock is not restarted: a case whose \
            time has passed goes at the next purge.

            Exit codes: 0 released; 2 no such case; 3 not under hold.

            Example: opine release c-20261126-0007
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    func run() throws {
        try Context.run(options) { context in
            let actor = try context.deskActor(acting)
            let caseID = try context.caseID(caseID)
            let event = try context.store.release(caseID, by: actor)
            if options.json {
                try Output.json(HoldOutput(id: caseID, held: false, event: event.id ?? 0, actor: actor.name, at: event.at))
            } else {
                Output.line("\(caseID): hold released; the retention rules apply again.")
            }
        }
    }
}

/// `opine orphaned`: the set-aside folders.
struct Orphaned: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the set-aside folders in orphaned/ (what a crash left between copying an upload and storing it).",
        discussion: """
            Each folder's age, size, and when the purge removes it (retention.orphaned_folders; kept by default, \
            since one may be the only copy of an upload: look inside, and drop its upload again if no case holds it).

            Exit codes: 0 listed (also when there are none); 78 configuration error.
            """)

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try Context.run(options) { context in
            let directory = context.configuration.orphanedDirectory
            let period = context.configuration.retention.orphanedFolders
            let folders = Folders.orphaned(in: directory).map {
                OrphanedOutput.Folder(
                    name: $0.name, path: directory + "/" + $0.name, writtenAt: Timestamps.format($0.writtenAt), files: $0.files,
                    bytes: $0.bytes, purgeAt: period.dueAt(since: $0.writtenAt).map(Timestamps.format))
            }
            if options.json {
                try Output.json(OrphanedOutput(folders: folders, retentionDays: period.days))
                return
            }
            guard !folders.isEmpty else { Output.line("No set-aside folders in \(directory)."); return }
            Output.table(["FOLDER", "WRITTEN", "FILES", "BYTES", "PURGE"], folders.map {
                [$0.name, Output.minute($0.writtenAt), String($0.files), String($0.bytes), $0.purgeAt.map(Output.minute) ?? "kept"]
            })
        }
    }
}
