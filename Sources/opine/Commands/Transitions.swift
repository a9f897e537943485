import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// The shared path of every command that changes a case: read it, ask the workflow, apply with the version read.
enum CaseChange {
    /// Runs one change of `caseID` as the acting user; `build` turns the options into the command to apply.
    static func apply(
        _ options: GlobalOptions, _ acting: ActingOptions, caseID: String,
        build: (Context) throws -> CaseCommand
    ) throws {
        try Context.run(options) { context in
            let (actor, enteredBy) = try context.actor(acting)
            let caseID = try context.caseID(caseID)
            let before = try context.store.caseRecord(caseID)
            var command = try build(context)
            command.enteredBy = enteredBy
            let after = try context.store.apply(command, to: caseID, by: actor, expectedVersion: before.version)
            if options.json {
                try Output.json(TransitionOutput(
                    id: after.id, from: before.state, state: after.state, priority: after.priority,
                    assignee: after.assignee, actor: actor.name))
            } else {
                var summary = "\(after.id): \(before.state.rawValue) → \(after.state.rawValue)"
                if after.priority != before.priority { summary += ", priority \(before.priority.rawValue) → \(after.priority.rawValue)" }
                if after.assignee != before.assignee { summary += ", assigned to \(after.assignee ?? "nobody")" }
                Output.line(summary)
            }
        }
    }
}

/// `opine triage CASE`: set priority and reviewer.
struct Triage: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Triage a received case, or re-triage a triaged one: set priority and reviewer.",
        discussion: "Changing the priority the symptoms gave needs --note saying why. Reviewers are listed under [reviewers] in the configuration.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("Override the priority: emergency, urgent, routine.", valueName: "priority"))
    var priority: Priority?

    @Option(name: .customLong("assign"), help: ArgumentHelp("Assign to this reviewer.", valueName: "reviewer"))
    var assignee: String?

    @Option(name: .long, help: ArgumentHelp("A note for the case history.", valueName: "text"))
    var note: String?

    func run() throws {
        try CaseChange.apply(options, acting, caseID: caseID) { _ in
            CaseCommand(action: .triage(priority: priority, assignee: assignee), note: note)
        }
    }
}

/// `opine review CASE`: record the surgeon's findings.
struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the surgeon's review of a triaged case.",
        discussion: "Only the assigned reviewer records the review; an admin may do it for them (audited).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("The findings, as text.", valueName: "text"))
    var findings: String?

    @Option(name: .customLong("findings-file"), help: ArgumentHelp("Read the findings from this UTF-8 text file.", valueName: "file"))
    var findingsFile: String?

    func validate() throws {
        guard (findings == nil) != (findingsFile == nil) else {
            throw ValidationError("give exactly one of --findings TEXT or --findings-file FILE")
        }
        // Blank findings are a usage error (64), caught before the workflow would refuse them (3).
        if let findings, findings.isBlank { throw ValidationError("--findings must not be empty; give the surgeon's findings") }
    }

    func run() throws {
        try CaseChange.apply(options, acting, caseID: caseID) { _ in
            let text = try findings ?? InputFile.text(findingsFile!, maxBytes: 1 << 20, what: "findings")
            return CaseCommand(action: .review(findings: text))
        }
    }
}

/// `opine respond CASE`: record the letter sent to the patient.
struct Respond: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record that the response letter was sent; the letter is stored with the case.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .customLong("letter-file"), help: ArgumentHelp("The letter sent to the patient: a PDF or UTF-8 text file, at most 10 MiB.", valueName: "file"))
    var letterFile: String

    @Option(name: .long, help: ArgumentHelp("A note for the case history.", valueName: "text"))
    var note: String?

    func run() throws {
        try CaseChange.apply(options, acting, caseID: caseID) { _ in
            let letter = try LetterInput.read(letterFile)
            return CaseCommand(action: .respond, note: note, letter: letter)
        }
    }
}

/// `opine withdraw CASE`: close an open case with a reason.
struct Withdraw: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Withdraw an open case (for example at the patient's request), with a reason.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("Why the case is withdrawn.", valueName: "text"))
    var reason: String

    func run() throws {
        try CaseChange.apply(options, acting, caseID: caseID) { _ in
            CaseCommand(action: .withdraw(reason: reason))
        }
    }
}

/// A letter file given on the command line (`respond`, `amend`): its bytes and media type, told from the bytes.
enum LetterInput {
    /// Reads a PDF or UTF-8 text letter of at most 10 MiB, checked by intake's content rules (`LetterCheck`).
    static func read(_ path: String) throws -> CaseCommand.Letter {
        let content = try InputFile.read(path, maxBytes: 10 << 20, what: "letter")
        let mediaType = try LetterCheck.mediaType(of: content, file: path)
        return CaseCommand.Letter(fileName: (path as NSString).lastPathComponent, mediaType: mediaType.rawValue, content: content)
    }
}
