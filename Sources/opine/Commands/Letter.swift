import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine letter CASE`: a stored letter, byte for byte, after checking its SHA-256.
struct Letter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a case's stored response letter, byte for byte, to stdout or a file.",
        discussion: """
            The letter's SHA-256 is checked against the one stored with it first (a mismatch exits 65 and writes \
            nothing). --out writes a new file atomically and never replaces one unless --force. A case may hold \
            several letters (the response, then addenda): --index N picks one, 1 being the first stored. Reading a \
            letter is a disclosure of patient data and is recorded in the case's history as an `access` event. \
            --json alone lists the letters without their bytes (and records nothing); with --out it reports the file.

            Examples: opine letter c-20261126-0007 --out /tmp/letter.pdf; opine letter C-20261126-0007 --json
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var acting: ActingOptions

    @Argument(help: "The case id.") var caseID: String

    @Option(name: .long, help: ArgumentHelp("Write the letter to this new file instead of stdout.", valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "With --out: replace the file if it exists.")
    var force = false

    @Option(name: .long, help: ArgumentHelp("Which letter: 1 is the first stored (the response letter).", valueName: "n"))
    var index = 1

    func validate() throws {
        guard index >= 1 else { throw ValidationError("--index counts from 1 (the response letter)") }
        if force, out == nil { throw ValidationError("--force goes with --out FILE") }
    }

    func run() throws {
        try Context.run(options) { context in
            let actor = try context.deskActor(acting)
            let caseID = try context.caseID(caseID)
            if options.json, out == nil {
                let letters = try context.store.letters(of: caseID)
                _ = try context.store.caseRecord(caseID)
                try Output.json(LettersOutput(id: caseID, letters: letters.enumerated().map { .init($1, index: $0 + 1) }))
                return
            }
            if let out, !force, FileManager.default.fileExists(atPath: out) {
                throw InputError(description: "\(out) already exists; choose a new file, or add --force to replace it")
            }
            let letter = try context.store.letter(of: caseID, index: index)
            // Recorded before the bytes leave: an access that then fails to write is over-counted, never missed.
            try context.store.recordAccess(.letter, caseID: caseID, detail: [
                "index": String(index), "sha256": letter.sha256, "to": out == nil ? "stdout" : "file",
            ], by: actor)
            guard let out else {
                FileHandle.standardOutput.write(letter.content)
                return
            }
            try AtomicFile.write(letter.content, to: out)
            if options.json {
                try Output.json(LetterWrittenOutput(id: caseID, index: index, file: out, size: letter.size, sha256: letter.sha256))
            } else {
                Output.line("Wrote letter \(index) of \(caseID) (\(letter.fileName), \(letter.size) bytes, SHA-256 checked) to \(out)".escapedForDisplay)
            }
        }
    }
}

/// A file written whole or not at all: a temporary file beside it, flushed, then renamed over the name.
enum AtomicFile {
    /// Writes `data` to `path` (mode 0600: it holds patient data), replacing any file there.
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw InputError(description: "\(path): cannot write here (does the folder exist, and may you write to it?)")
        }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary, path) == 0 else { throw InputError(description: "\(path): cannot rename the finished file into place") }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}

/// The intake content rules applied to a response letter, so a letter that intake would refuse (a PDF cut short,
/// one with a file appended, an encrypted one, text that is not UTF-8) is refused here too, by the same check.
enum LetterCheck {
    /// The letter's media type (PDF when it starts with `%PDF-`, else UTF-8 text), or an `InputError` naming the problem.
    static func mediaType(of content: Data, file: String) throws -> MediaType {
        let bytes = [UInt8](content)
        let mediaType: MediaType = bytes.starts(with: Array("%PDF-".utf8)) ? .pdf : .text
        switch ContentSniffer.check(bytes, as: mediaType) {
        case nil: return mediaType
        case .mismatch(let problem), .encrypted(let problem):
            let what = mediaType == .pdf ? "the letter (a PDF)" : "the letter (not a PDF, so it must be UTF-8 text)"
            throw InputError(description: "\(file): \(what) \(problem); a letter must be a complete PDF or UTF-8 text")
        }
    }
}
