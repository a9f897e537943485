import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine backup --to FILE`: one archive of everything needed to bring Opine back, written while opined works.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one archive of the database, the case files, the quarantined uploads and the configuration, while opined keeps working.",
        discussion: """
            FILE is a tar archive (any tar lists it) holding opine.toml, state/opine.sqlite3 (a snapshot taken with \
            SQLite's online backup API and checked with PRAGMA integrity_check), state/cases/ (the folder of every \
            case in the snapshot, each file checked against its SHA-256 as it is copied), spool/rejected/ (the \
            quarantine folders the snapshot records) and, last, manifest.json with every member's SHA-256. Cases and \
            rejections newer than the snapshot are left out, so the archive is one consistent moment. Secrets are \
            never archived: not the secret files, not the credentials folder, and an endpoint URL's user, password \
            or query is removed (the endpoints are named). The archive is written to FILE.part, mode 0600 (it holds \
            patient data), and renamed when complete; an existing FILE is never overwritten. The backup is a \
            disclosure of every case: once the archive is complete, one access event (what=backup, with FILE's name, \
            the manifest's SHA-256 and the counts of cases and files) is added to the audit trail. \
            Exit status 0 when written; 65 when a case file is missing or does not match its SHA-256 (run opine \
            verify); 64 when FILE exists or cannot be written; 78 on a configuration error. Restore with opine restore.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The new archive to write (must not exist).", valueName: "file"))
    var to: String

    func run() throws {
        try Context.run(options) { context in
            let configuration = context.configuration
            let copy = try OpineCore.Configuration.backupCopy(of: configuration.source)
            let summary: BackupSummary
            do {
                summary = try context.store.backup(to: to, from: BackupSources(
                    casesDirectory: configuration.casesDirectory, rejectedDirectory: configuration.rejectedDirectory,
                    configuration: copy.bytes, redactedEndpoints: copy.redactedEndpoints),
                    by: DeskActor(name: Context.loginName()))
            } catch let error as ArchiveIOError {
                throw InputError(description: "\(error); nothing was backed up")
            }
            if options.json {
                try Output.json(BackupOutput(summary))
            } else {
                Output.line("Backed up \(summary.cases) cases, \(summary.rejectedFolders) quarantined uploads and the configuration to \(to) (\(summary.members) files, \(summary.bytes) bytes).")
                Output.fields([
                    ("audit head", summary.auditHead.description), ("manifest sha256", summary.manifestSHA256),
                    ("skipped", summary.skipped.isEmpty ? nil : summary.skipped.joined(separator: ", ")),
                    ("redacted", summary.redactedEndpoints.isEmpty ? nil : "credentials removed from the URL of \(summary.redactedEndpoints.joined(separator: ", ")); put them back after a restore"),
                ])
            }
        }
    }
}
