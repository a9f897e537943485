import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine find TEXT`: cases by id, submission id, patient name, e-mail or phone.
struct Find: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find cases by case id, submission id, patient name, e-mail or phone.",
        discussion: """
            TEXT is matched against: the case id (exactly or by its beginning, any letter case: c-2026 works), the \
            submission id (exactly), the patient's name (every word must begin a word of the name, any order, \
            ignoring case and accents: "doe jan" finds Jane Doe), the e-mail (exactly, any letter case) and the \
            phone (digits only: "+1 (555) 010-2000" finds 15550102000). Newest cases first, with the columns of \
            `opine list` and MATCHED saying which field matched. A search whose results include a case matched by \
            patient data (name, e-mail, phone) is recorded as one `access` event naming who searched and which \
            cases were shown (never the text searched for); a search that found cases only by case or submission \
            id disclosed no patient data and is not recorded.

            Examples: opine find c-20261126; opine find "doe jane"; opine find "+1 (405) 555-0100"
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "What to look for.") var text: String

    @OptionGroup var page: PageOptions

    func validate() throws {
        if text.isBlank { throw ValidationError("give something to find: a case id, submission id, name, e-mail or phone") }
    }

    func run() throws {
        try Context.run(options) { context in
            let actor = try context.deskActor(acting)
            var hits = try context.store.find(text, limit: page.limit + 1, offset: page.offset)
            let next = page.next(&hits)
            // Found by patient data: a disclosure, recorded in each shown case's history.
            try context.store.recordSearch(
                hits.filter(\.matchedBy.isPatientData).map { ($0.summary.id, $0.matchedBy) }, by: actor)
            let turnaround = context.configuration.turnaround, now = Date()
            if options.json {
                try Output.json(FindOutput(cases: hits.map {
                    .init(summary: CaseSummaryOutput($0.summary, turnaround: turnaround, now: now), matchedBy: $0.matchedBy)
                }, nextOffset: next))
                return
            }
            guard !hits.isEmpty else {
                Output.line(page.offset > 0 ? "No more cases." : "No case matches.")
                return
            }
            Output.table(
                ["CASE", "PRIORITY", "STATE", "ASSIGNEE", "REGIONS", "RECEIVED", "WAITING", "DUE", "MATCHED"],
                hits.map { hit in
                    let summary = hit.summary
                    return [summary.id, summary.priority.rawValue, summary.state.rawValue, summary.assignee ?? "-",
                            summary.regions.joined(separator: " "), Output.minute(summary.receivedAt),
                            Output.waiting(summary, now: now), Output.due(summary.dueAt(turnaround), now: now),
                            hit.matchedBy.rawValue]
                })
            if let next { Output.line("More cases: repeat with --offset \(next)") }
        }
    }
}

/// `opine export CASE --to DIR`: the case's files, checked, for a DICOM viewer.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a case's files out of the store, checked, into a folder a DICOM viewer can open.",
        discussion: """
            Copies every stored file of CASE into DIR/CASE/, keeping the folders the patient's upload had (open \
            DIR/CASE in Weasis, Horos or OsiriX). Each copy is hashed as it is written and compared with the \
            SHA-256 recorded at intake; a mismatch exits 65 and leaves nothing behind. DIR is created if needed; \
            an existing, non-empty DIR/CASE is refused. The copies are readable by you only: they hold patient \
            data. The export is recorded in the case's history as an `access` event.

            Example: opine export c-20261126-0007 --to ~/viewer
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("The folder to copy into (the case gets a folder of its own inside).", valueName: "dir"))
    var to: String

    func run() throws {
        try Context.run(options) { context in
            let actor = try context.deskActor(acting)
            let caseID = try context.caseID(caseID)
            let target = URL(fileURLWithPath: to).standardizedFileURL.path
            let report = try context.store.exportFiles(of: caseID, casesDirectory: context.configuration.casesDirectory, to: target)
            try context.store.recordAccess(.export, caseID: caseID, detail: [
                "files": String(report.files), "bytes": String(report.bytes), "folder": report.folder,
            ], by: actor)
            if options.json {
                try Output.json(ExportOutput(id: caseID, folder: report.folder, files: report.files, bytes: report.bytes))
            } else {
                Output.line("Exported \(report.files) files (\(report.bytes) bytes, each SHA-256 checked) of \(caseID) to \(report.folder)".escapedForDisplay)
            }
        }
    }
}
