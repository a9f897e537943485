import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one case: the patient's request, its files, review and response.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The case id, such as C-20261126-0007.")
    var caseID: String

    func run() throws {
        try Context.run(options) { context in
            let record = try context.store.caseRecord(caseID)
            let files = try context.store.files(of: caseID)
            let letters = try context.store.letters(of: caseID)
            let folder = context.configuration.casesDirectory + "/" + record.id
            if options.json {
                Output.json(json(record, files: files, letters: letters, folder: folder))
                return
            }
            let priority = record.priority == record.intakePriority
                ? record.priority.rawValue : "\(record.priority.rawValue) (symptoms said \(record.intakePriority.rawValue))"
            Output.fields([
                ("Case", record.id), ("State", record.state.rawValue), ("Priority", priority),
                ("Assignee", record.assignee ?? "-"), ("Received", Output.minute(record.receivedAt) + " UTC, " + Output.age(since: record.receivedAt) + " ago"),
                ("Submission", record.submissionID), ("Patient", record.patientName),
                ("Born", record.patientDateOfBirth), ("Email", record.patientEmail), ("Phone", record.patientPhone),
                ("Regions", record.regions.joined(separator: ", ")),
                ("Symptoms", record.symptoms.isEmpty ? "-" : record.symptoms.map(\.rawValue).joined(separator: ", ")),
                ("Onset", record.symptomOnset), ("Treatments", record.priorTreatments.isEmpty ? nil : record.priorTreatments.joined(separator: ", ")),
                ("Folder", folder), ("Withdrawn", record.withdrawnReason),
            ])
            Output.line()
            Output.line("Question:")
            for line in record.question.split(separator: "\n", omittingEmptySubsequences: false) { Output.line("  " + String(line).escapedForDisplay) }
            if let findings = record.findings {
                Output.line()
                Output.line("Findings:")
                for line in findings.split(separator: "\n", omittingEmptySubsequences: false) { Output.line("  " + String(line).escapedForDisplay) }
            }
            Output.line()
            Output.line("Files:")
            Output.table(["  PATH", "KIND", "TYPE", "BYTES"], files.map { ["  " + $0.path, $0.kind, $0.mediaType, String($0.size)] })
            if !letters.isEmpty {
                Output.line()
                Output.line("Letters:")
                Output.table(["  FILE", "TYPE", "BYTES", "SENT BY", "AT"], letters.map { ["  " + $0.fileName, $0.mediaType, String($0.size), $0.actor, Output.minute($0.createdAt)] })
            }
        }
    }

    private func json(_ record: CaseRecord, files: [CaseFileRecord], letters: [LetterRecord], folder: String) -> [String: Any] {
        func orNull(_ value: String?) -> Any { value.map { $0 as Any } ?? NSNull() }
        var result: [String: Any] = [:]
        result["id"] = record.id
        result["state"] = record.state.rawValue
        result["priority"] = record.priority.rawValue
        result["intake_priority"] = record.intakePriority.rawValue
        result["assignee"] = orNull(record.assignee)
        result["submission_id"] = record.submissionID
        result["submitted_at"] = record.submittedAt
        result["received_at"] = record.receivedAt
        result["updated_at"] = record.updatedAt
        result["version"] = record.version
        result["regions"] = record.regions
        result["symptoms"] = record.symptoms.map(\.rawValue)
        result["symptom_onset"] = orNull(record.symptomOnset)
        result["prior_treatments"] = record.priorTreatments
        result["question"] = record.question
        result["findings"] = orNull(record.findings)
        result["withdrawn_reason"] = orNull(record.withdrawnReason)
        result["patient"] = [
            "name": record.patientName, "date_of_birth": record.patientDateOfBirth,
            "email": orNull(record.patientEmail), "phone": orNull(record.patientPhone),
        ] as [String: Any]
        result["folder"] = folder
        result["files"] = files.map {
            ["path": $0.path, "kind": $0.kind, "media_type": $0.mediaType, "size": $0.size, "sha256": $0.sha256,
             "stored_sha256": $0.storedSHA256 ?? NSNull()] as [String: Any]
        }
        result["letters"] = letters.map {
            ["file_name": $0.fileName, "media_type": $0.mediaType, "size": $0.size, "sha256": $0.sha256,
             "created_at": $0.createdAt, "actor": $0.actor] as [String: Any]
        }
        return result
    }
}
