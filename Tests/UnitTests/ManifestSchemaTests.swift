import Foundation
@testable import OpineCore
import Testing

/// docs/manifest.schema.json, the documented example manifests and Opine's own parser must agree: every example in
/// docs/*.md is accepted by both, and a few broken manifests are refused by both. The schema is checked with
/// Python's `jsonschema` (scripts/install-deps.sh installs `python3-jsonschema`); without it the test fails.
@Suite("The manifest schema, the documented examples and the parser agree")
struct ManifestSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schema = root.appendingPathComponent("docs/manifest.schema.json")
    /// A ```json block right after one of these comments is not checked: an excerpt of a manifest, or JSON that has
    /// "version" and "files" without being a manifest (such as `opine show --json`).
    static let skipMarkers = ["<!-- not a complete manifest -->", "<!-- not a manifest -->"]
    /// Every example date (births, onsets) lies before this day.
    static let today = Timestamps.parse("2027-01-01T00:00:00Z")!

    /// One ```json block of the docs that is a manifest: it has "version" and "files".
    struct Example: CustomStringConvertible {
        var file: String
        var line: Int
        var text: String
        var description: String { "\(file):\(line)" }
    }

    /// The manifests among the ```json blocks of docs/*.md (those with "version" and "files"), less the marked ones.
    static func examples() throws -> [Example] {
        let docs = root.appendingPathComponent("docs")
        var examples: [Example] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path).sorted() where name.hasSuffix(".md") {
            let lines = try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var index = 0
            while index < lines.count {
                defer { index += 1 }
                guard lines[index].trimmingCharacters(in: .whitespaces) == "```json" else { continue }
                let start = index
                var body: [String] = []
                index += 1
                while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "```" {
                    body.append(lines[index])
                    index += 1
                }
                let previous = lines[..<start].last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                if let previous, skipMarkers.contains(previous.trimmingCharacters(in: .whitespaces)) { continue }
                let text = body.joined(separator: "\n")
                guard text.contains("\"version\""), text.contains("\"files\"") else { continue }
                examples.append(Example(file: "docs/\(name)", line: start + 1, text: text))
            }
        }
        return examples
    }

    /// What the schema says of each manifest: an empty list when it is valid, else the validator's messages.
    static func schemaErrors(_ manifests: [String]) throws -> [[String]] {
        let script = """
            import json, sys
            import jsonschema
            schema = json.load(open(sys.argv[1], encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            results = []
            for text in json.load(sys.stdin):
                try:
                    instance = json.loads(text)
                except ValueError as error:
                    results.append(["not JSON: %s" % error])
                    continue
                results.append(sorted("%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)", e.message)
                                      for e in validator.iter_errors(instance)))
            json.dump(results, sys.stdout)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schema.path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: manifests))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0,
            "python3 with jsonschema must run (install it: sudo apt-get install -y python3-jsonschema): \(err)")
        let results = try #require(try JSONSerialization.jsonObject(with: out) as? [[String]], "unreadable output: \(err)")
        try #require(results.count == manifests.count)
        return results
    }

    static func parse(_ text: String) -> Result<Manifest, Rejection> {
        Result { () throws(Rejection) in try Manifest.parse(Array(text.utf8), limits: IntakeSettings(), today: today) }
    }

    @Test("Every example manifest in docs/*.md is valid by the schema and parses with Opine's parser")
    func documentedExamples() throws {
        let examples = try Self.examples()
        // The docs show a submission and a supplement at least; finding fewer means the extraction broke.
        #expect(examples.count >= 2, "found only \(examples)")
        #expect(examples.contains { $0.text.contains("\"supplements\"") }, "no supplement example was found")
        let verdicts = try Self.schemaErrors(examples.map(\.text))
        for (example, errors) in zip(examples, verdicts) {
            #expect(errors.isEmpty, "\(example) is refused by docs/manifest.schema.json: \(errors)")
            if case .failure(let rejection) = Self.parse(example.text) {
                Issue.record("\(example) is refused by Manifest.parse: \(rejection.code.rawValue): \(rejection.message)")
            }
        }
    }

    /// A whole, valid submission the broken ones below are made from, one change each.
    static let base = """
        {
          "version": 1,
          "submission_id": "web-test-1",
          "submitted_at": "2026-11-26T09:30:00Z",
          "patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "email": "jane@example.org", "phone": "+1 405 555 0100"},
          "consent": {"hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z"},
          "request": {"regions": ["lumbar"], "question": "Is surgery needed?", "symptoms": ["sciatica"], "prior_treatments": ["medication"]},
          "files": [{"path": "report.pdf", "kind": "radiology_report", "media_type": "application/pdf", "size": 48213,
                     "sha256": "\(String(repeating: "ab", count: 32))"}]
        }
        """

    /// Each: what is wrong, the text replaced in `base` and its replacement, and the code the parser must give.
    static let broken: [(name: String, replace: String, with: String, code: Rejection.Code)] = [
        ("a submission without the patient block",
         #""patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "email": "jane@example.org", "phone": "+1 405 555 0100"},"#,
         "", .manifestInvalidField),
        ("an unknown symptom code", #""symptoms": ["sciatica"]"#, #""symptoms": ["sciatica", "headache"]"#, .unknownSymptom),
        ("an extra top-level key", #""version": 1,"#, #""version": 1, "notes": "hello","#, .manifestInvalidField),
        ("an extra key in a file entry", #""size": 48213,"#, #""size": 48213, "name": "x","#, .manifestInvalidField),
        ("a submission with no regions", #""regions": ["lumbar"]"#, #""regions": []"#, .manifestInvalidField),
        ("a submission without its question", #""question": "Is surgery needed?", "#, "", .manifestInvalidField),
        ("consent not given", #""hipaa_authorization": true"#, #""hipaa_authorization": false"#, .consentMissing),
        ("a patient with neither email nor phone", #", "email": "jane@example.org", "phone": "+1 405 555 0100""#, "", .manifestInvalidField),
        ("a path that climbs out", #""path": "report.pdf""#, #""path": "../report.pdf""#, .unsafePath),
        ("a hash that is too short", String(repeating: "ab", count: 32), "abcd", .manifestInvalidField),
        ("a birth date that does not exist", "1968-04-02", "1968-02-30", .manifestInvalidField),
        ("an unsafe submission id", #""submission_id": "web-test-1""#, #""submission_id": "web test/1""#, .manifestInvalidField),
        ("version 2", #""version": 1"#, #""version": 2"#, .unsupportedVersion),
        ("only an 'other' file", #""kind": "radiology_report""#, #""kind": "other""#, .manifestInvalidField),
        ("a supplement with an unknown request key",
         #""request": {"regions": ["lumbar"], "question": "Is surgery needed?", "symptoms": ["sciatica"], "prior_treatments": ["medication"]},"#,
         #""supplements": "web-test-0", "request": {"notes": "x"},"#, .manifestInvalidField),
    ]

    @Test("Broken manifests are refused by the schema and by the parser alike")
    func brokenManifests() throws {
        let manifests = try Self.broken.map { item in
            try #require(Self.base.contains(item.replace), "\(item.name): the base manifest has no \(item.replace)")
            return Self.base.replacingOccurrences(of: item.replace, with: item.with)
        }
        let verdicts = try Self.schemaErrors([Self.base] + manifests)
        #expect(verdicts[0].isEmpty, "the base manifest must be valid by the schema: \(verdicts[0])")
        if case .failure(let rejection) = Self.parse(Self.base) { Issue.record("the base manifest is refused: \(rejection.message)") }
        for (index, item) in Self.broken.enumerated() {
            #expect(!verdicts[index + 1].isEmpty, "the schema accepts \(item.name)")
            switch Self.parse(manifests[index]) {
            case .success: Issue.record("Manifest.parse accepts \(item.name)")
            case .failure(let rejection): #expect(rejection.code == item.code, "\(item.name): \(rejection.message)")
            }
        }
    }

    @Test("A supplement needs no patient, consent or request, by the schema and the parser alike")
    func bareSupplement() throws {
        let supplement = """
            {"version": 1, "submission_id": "web-test-2", "submitted_at": "2026-12-02T10:00:00Z", "supplements": "web-test-1",
             "files": [{"path": "MRI/IM000001", "kind": "imaging", "media_type": "application/dicom", "size": 526402,
                        "sha256": "\(String(repeating: "cd", count: 32))"}]}
            """
        #expect(try Self.schemaErrors([supplement]) == [[]])
        let manifest = try Self.parse(supplement).get()
        #expect(manifest.supplements == "web-test-1")
        #expect(manifest.patient == nil && manifest.question == nil && manifest.regions.isEmpty)
        // Any kind of file, under the submission id it supplements; or only a question, with no file at all.
        let letter = supplement.replacingOccurrences(of: #""kind": "imaging""#, with: #""kind": "other""#)
            .replacingOccurrences(of: "web-test-2", with: "web-test-1")
        let question = """
            {"version": 1, "submission_id": "web-test-3", "submitted_at": "2026-12-02T10:00:00Z", "supplements": "web-test-1",
             "request": {"question": "Can I swim?"}, "files": []}
            """
        #expect(try Self.schemaErrors([letter, question]) == [[], []])
        #expect(try Self.parse(letter).get().files.map(\.kind) == ["other"])
        #expect(try Self.parse(question).get().question == "Can I swim?")
        // A supplement that brings nothing is refused by both.
        let nothing = question.replacingOccurrences(of: #""request": {"question": "Can I swim?"}, "#, with: "")
        #expect(try Self.schemaErrors([nothing]).first?.isEmpty == false, "the schema refuses an empty supplement")
        guard case .failure(let rejection) = Self.parse(nothing) else { Issue.record("an empty supplement was accepted"); return }
        #expect(rejection.code == .manifestInvalidField && rejection.message.contains("files"))
    }
}
