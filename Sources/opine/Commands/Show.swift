import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine show CASE`: one case in full.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one case: the patient's request, its files, review and response.",
        discussion: """
            CASE is a case id in any letter case (c-20261126-0007 works). A submission id stands for its case when \
            exactly one case has it; when a re-send made several, the error names them (see `opine find`). The \
            Files line says where the case's files are kept and how to copy them out (`opine export`).

            Example: opine show c-20261126-0007
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The case id, such as C-20261126-0007 (or its submission id).")
    var caseID: String

    func run() throws {
        try Context.run(options) { context in
            let caseID = try context.caseID(caseID, submissions: true)
            let record = try context.store.caseRecord(caseID)
            let files = try context.store.files(of: caseID)
            let letters = try context.store.letters(of: caseID)
            let updates = try context.store.updates(of: record.id)
            let folder = context.configuration.casesDirectory + "/" + record.id
            let due = record.dueAt(context.configuration.turnaround), now = Date()
            let conversation = ConversationOutput(
                record, requests: try context.store.informationRequests(of: record.id),
                addenda: try context.store.addenda(of: record.id), letterIDs: letters.map(\.id))
            if options.json {
                var output = CaseDetailOutput(
                    record, files: files, letters: letters, updates: updates, folder: folder, dueAt: due, now: now)
                output.conversation = conversation
                try Output.json(output)
                return
            }
            printText(record, due: due, now: now, folder: folder)
            Output.line()
            if let removed = record.filesRemovedAt {
                Output.line("Files: \(files.count), removed by the purge at \(Output.minute(removed)) (their tombstones are in `opine history \(record.id)`)")
            } else if let purged = record.purgedAt {
                Output.line("Files: \(files.count), tombstoned by the purge at \(Output.minute(purged)) but not removed yet: `sudo -u opine opine purge` finishes it")
            } else {
                Output.line("Files: \(files.count) in \(folder); copy them out for a DICOM viewer with `opine export \(record.id) --to DIR`".escapedForDisplay)
            }
            // FROM names the upload a file came with: the first submission, or a supplement by its number in the
            // updates listed below (its `id` in --json).
            Output.table(["  PATH", "KIND", "TYPE", "BYTES", "FROM"], files.map {
                ["  " + $0.path, $0.kind, $0.mediaType, String($0.size), $0.supplementID.map { "supplement \($0)" } ?? "submission"]
            })
            StudyOutput.print(record.studySummary, checks: record.studyChecks)
            printUpdates(updates)
            conversation.printText()
            printLetters(letters)
        }
    }

    /// The case's fields, question and findings, as text.
    private func printText(_ record: CaseRecord, due: Date?, now: Date, folder: String) {
        let priority = record.priority == record.intakePriority
            ? record.priority.rawValue : "\(record.priority.rawValue) (symptoms said \(record.intakePriority.rawValue))"
        Output.fields([
            ("Case", record.id), ("State", record.state.rawValue), ("Priority", priority),
            ("Assignee", record.assignee ?? "-"), ("Received", Output.minute(record.receivedAt) + ", " + Output.age(since: record.receivedAt) + " ago"),
            ("Due", due.map { Output.minute($0) + ", " + Output.due($0, now: now) }),
            ("Submission", record.submissionID), ("Patient", record.patientName),
            ("Born", record.patientDateOfBirth), ("Email", record.patientEmail), ("Phone", record.patientPhone),
            ("Regions", record.regions.joined(separator: ", ")),
            ("Symptoms", record.symptoms.isEmpty ? "-" : record.symptoms.map(\.rawValue).joined(separator: ", ")),
            ("Onset", record.symptomOnset), ("Treatments", record.priorTreatments.isEmpty ? nil : record.priorTreatments.joined(separator: ", ")),
            ("Folder", folder), ("Withdrawn", record.withdrawnReason), ("Follows", record.relatedCaseID),
            ("Flags", record.flags.map { $0.map(\.rawValue).joined(separator: ", ") + " (see Checks below)" }),
            ("Hold", record.hold.map { "since \(Output.minute($0.since)) by \($0.by): \($0.reason)" }),
            ("Purged", record.purgedAt.map { Output.minute($0) + ": patient fields scrubbed under the retention rules" }),
        ])
        Output.line()
        Output.line("Question:")
        for line in record.question.split(separator: "\n", omittingEmptySubsequences: false) { Output.line("  " + String(line).escapedForDisplay) }
        if let findings = record.findings {
            Output.line()
            Output.line("Findings:")
            for line in findings.split(separator: "\n", omittingEmptySubsequences: false) { Output.line("  " + String(line).escapedForDisplay) }
        }
    }

    /// The letters sent, without their bytes (`opine letter` returns them).
    private func printLetters(_ letters: [LetterRecord]) {
        guard !letters.isEmpty else { return }
        Output.line()
        Output.line("Letters:")
        Output.table(["  FILE", "TYPE", "BYTES", "SENT BY", "AT"], letters.map { ["  " + $0.fileName, $0.mediaType, String($0.size), $0.actor, Output.minute($0.createdAt)] })
    }

    /// The re-sends merged into the case, if any: when, under which submission id, what they changed.
    private func printUpdates(_ updates: [CaseUpdateRecord]) {
        guard !updates.isEmpty else { return }
        Output.line()
        Output.line("Updates (re-sends and supplements merged into the case):")
        Output.table(["  ID", "AT", "KIND", "SUBMISSION", "CHANGED"], updates.map {
            ["  " + ($0.id.map(String.init) ?? "-"), Output.minute($0.at), $0.kind.rawValue, $0.submissionID,
             $0.changed.isEmpty ? "nothing (manifest kept)" : $0.changed.map(\.rawValue).joined(separator: ", ")]
        })
    }
}
