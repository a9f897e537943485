import ArgumentParser
import Foundation
import OpineCore

/// `opine request-info CASE --message TEXT`: ask the patient for something and wait for it.
struct RequestInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request-info",
        abstract: "Ask the patient for something; the case waits for their supplement.",
        discussion: """
            Moves a received or triaged case to awaiting_information and sends case.information_requested. The \
            message is written for the patient: only endpoints with include_contact = true receive it (as \
            data.message), for the patient-messaging system to pass on; others get the event without it. While the \
            case waits its turnaround clock is paused; the patient's next upload naming the submission (a \
            supplement) returns it to the state it was in, and the time waited is added to its due times. After \
            turnaround.information_reminder_after (7 days by default) case.information_reminder goes out once. \
            Asking again while waiting replaces the message for the patient. `opine withdraw` still works.

            Example: opine request-info C-20261201-0007 --message "Please upload the radiology report that came with your MRI."
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("What the practice needs, in words for the patient.", valueName: "text"))
    var message: String?

    @Option(name: .customLong("message-file"), help: ArgumentHelp("Read the message from this UTF-8 text file.", valueName: "file"))
    var messageFile: String?

    func validate() throws {
        guard (message == nil) != (messageFile == nil) else { throw ValidationError("give exactly one of --message TEXT or --message-file FILE") }
        if let message, message.isBlank { throw ValidationError("--message must not be empty: say what the patient should send") }
    }

    func run() throws {
        try CaseChange.apply(options, acting, caseID: caseID) { _ in
            let text = try message ?? InputFile.text(messageFile!, maxBytes: 64 << 10, what: "message")
            guard !text.isBlank else { throw InputError(description: "\(messageFile ?? "--message"): the message is empty") }
            return CaseCommand(action: .requestInformation(message: text))
        }
    }
}

/// `opine amend CASE`: an addendum to the findings or the letter of a reviewed or responded case.
struct Amend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add an addendum to the findings or the letter; the original stays.",
        discussion: """
            After review (findings) and after the response (findings or letter). The addendum is stored with who, \
            when and why; `opine show` prints the original and every addendum, `opine letter` returns each letter \
            byte for byte, and case.amended goes out. A findings addendum is the assigned reviewer's (or an admin's \
            for them, with --as). An addendum also answers a follow-up question the patient sent after the response.

            Examples:
              opine amend C-20261201-0007 --findings "L5-S1 also shows mild foraminal narrowing." --reason "missed on first read"
              opine amend C-20261201-0007 --letter-file corrected.pdf --reason "wrong date in the first letter"
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("The amended or added findings, as text.", valueName: "text"))
    var findings: String?

    @Option(name: .customLong("findings-file"), help: ArgumentHelp("Read the findings from this UTF-8 text file.", valueName: "file"))
    var findingsFile: String?

    @Option(name: .customLong("letter-file"), help: ArgumentHelp("A corrected or further letter: a PDF or UTF-8 text file, at most 10 MiB.", valueName: "file"))
    var letterFile: String?

    @Option(name: .long, help: ArgumentHelp("Why the addendum is made (required).", valueName: "text"))
    var reason: String

    func validate() throws {
        guard [findings != nil, findingsFile != nil, letterFile != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --findings TEXT, --findings-file FILE or --letter-file FILE")
        }
        if let findings, findings.isBlank { throw ValidationError("--findings must not be empty") }
        if reason.isBlank { throw ValidationError("--reason must not be empty: say why the addendum is made") }
    }

    func run() throws {
        try CaseChange.apply(options, acting, caseID: caseID) { _ in
            if let letterFile {
                return CaseCommand(action: .amend(reason: reason, findings: nil), letter: try LetterInput.read(letterFile))
            }
            let text = try findings ?? InputFile.text(findingsFile!, maxBytes: 1 << 20, what: "findings")
            guard !text.isBlank else { throw InputError(description: "\(findingsFile ?? "--findings"): the findings are empty") }
            return CaseCommand(action: .amend(reason: reason, findings: text))
        }
    }
}
