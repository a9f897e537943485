import ArgumentParser
import Foundation
import OpineCore
import OpineStore

/// `opine restore --from FILE --to DIR`: a backup archive unpacked into an empty folder, checked end to end.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore an opine backup archive into a new or empty folder and check it as opine verify does.",
        discussion: """
            Writes DIR/opine.toml, DIR/state (the database and cases/) and DIR/spool (rejected/ and an empty drop/), \
            then prints the environment to point opine and opined at them (an export line, each path in single \
            quotes for the shell). Needs no configuration and touches no running service. Every member is judged \
            before it is written (absolute paths, .., links, devices are refused), every member's SHA-256 is checked \
            against the archive's manifest, and the database is opened (applying any newer migrations) and checked \
            like opine verify, every file re-hashed, and its audit chain against the head the backup recorded. \
            Nothing is ever written over: DIR must be new or empty. \
            Exit status 0 when restored and intact; 65 when a member does not match the manifest or is refused (the \
            member is named and nothing is left in DIR), when the manifest is not format opine-backup, version 1 \
            (what it declares is named and nothing is left in DIR), or when the restored data fails the checks (the \
            problems are printed; DIR is kept for inspection); 64 when DIR is not empty or the archive cannot be read.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The backup archive to read.", valueName: "file"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The new or empty folder to restore into.", valueName: "dir"))
    var to: String

    func run() throws {
        do {
            let directory = to.hasPrefix("/") ? to : FileManager.default.currentDirectoryPath + "/" + to
            let summary = try BackupRestore.restore(from: from, into: directory)
            let output = RestoreOutput(summary)
            if options.json {
                try Output.json(output)
            } else {
                print(output)
            }
            if !summary.report.isClean { throw ExitCode(ExitStatus.dataError.rawValue) }
        } catch let error as ExitCode {
            throw error
        } catch {
            let (status, code, message) = Self.classify(error)
            if options.json {
                try Output.json(ErrorOutput(error: .init(code: code, message: message)), toStandardError: true)
            } else {
                Output.error(message)
            }
            throw ExitCode(status.rawValue)
        }
    }

    private func print(_ output: RestoreOutput) {
        for problem in output.problems { Output.line("problem: \(problem)") }
        Output.line("\(output.intact ? "Restored" : "Restored but NOT intact"): \(output.cases) cases, \(output.files) files (\(output.bytes) bytes) into \(output.directory), from the backup of \(Output.minute(output.backupCreatedAt)).")
        Output.fields([
            ("audit head", output.auditHead), ("backup's head", output.backupAuditHead),
            ("redacted", output.redactedEndpoints.isEmpty ? nil : "put back the URL credentials of \(output.redactedEndpoints.joined(separator: ", ")) in \(output.configuration ?? "the configuration")"),
        ])
        Output.line("Use it with:")
        Output.line("  " + ShellWords.export(output.environment))
    }

    /// Exit status, JSON code and message; a refused target or unreadable archive is a usage error, damage is 65.
    static func classify(_ error: Error) -> (ExitStatus, ErrorCode, String) {
        switch error {
        case let error as RestoreRefusal: (.usage, .usage, error.description)
        case let error as ArchiveIOError: (.usage, .usage, "\(error); nothing was restored")
        case let error as TarFormatError: (.dataError, .integrity, "\(error); nothing was restored")
        case is DecodingError: (.dataError, .integrity, "the archive's manifest.json cannot be read; it is damaged or not an Opine backup, and nothing was restored")
        default: Context.classify(error)
        }
    }
}
