import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine note CASE`: a note in the case's history, in any state.
struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a note to a case's history, in any state (closed cases too).",
        discussion: """
            The note is recorded as a `note` event by you (or, for an admin, by the --as name, with entered_by). It \
            changes nothing else: not the state, not the case's version (so it never makes someone else's command \
            conflict), and no webhook is sent. Give the text with --text or read it from a UTF-8 file with --text-file.

            Example: opine note c-20261126-0007 --text "Patient called: MRI CD is in the post"
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("The note, as text.", valueName: "text"))
    var text: String?

    @Option(name: .customLong("text-file"), help: ArgumentHelp("Read the note from this UTF-8 text file.", valueName: "file"))
    var textFile: String?

    func validate() throws {
        guard (text == nil) != (textFile == nil) else { throw ValidationError("give exactly one of --text TEXT or --text-file FILE") }
        if let text, text.isBlank { throw ValidationError("--text must not be empty; write the note") }
    }

    func run() throws {
        try Context.run(options) { context in
            let actor = try context.deskActor(acting)
            let caseID = try context.caseID(caseID)
            let note = try text ?? InputFile.text(textFile!, maxBytes: 64 << 10, what: "note")
            guard !note.isBlank else { throw InputError(description: "\(textFile ?? "--text"): the note is blank; write the note") }
            let event = try context.store.addNote(note, to: caseID, by: actor)
            if options.json {
                try Output.json(NoteOutput(id: caseID, event: event.id ?? 0, actor: actor.name, at: event.at))
            } else {
                Output.line("\(caseID): note added (event \(event.id ?? 0)).")
            }
        }
    }
}
