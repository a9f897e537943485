import Foundation

/// What the person packing a bundle answers about the patient and the request (`opine pack --answers FILE`): the
/// manifest's `patient`, `consent` and `request` blocks, as docs/bundle-format.md describes them, and optionally the
/// `submission_id`, `submitted_at` and `supplements` (the submission id of an earlier submission: the bundle is then a
/// supplement, whose blocks may be left out). The answers are held to the manifest's own rules before a byte is
/// copied, so a bundle `opine pack` makes is never refused for them.
public struct PackAnswers: Sendable {
    /// The keys an answers file may have; anything else is refused, so a typo cannot pass unseen.
    public static let keys = ["submission_id", "submitted_at", "supplements", "patient", "consent", "request"]
    /// The largest answers file read.
    public static let maxBytes = 256 << 10

    /// The submission id given, or one `opine pack` makes (`pack-` and 16 hexadecimal digits).
    public var submissionID: String
    /// `submitted_at` as given, or the time of packing.
    public var submittedAt: String
    /// The earlier submission this bundle adds to, when it is a supplement (docs/bundle-format.md, "Supplements").
    public var supplements: String?
    /// The answers' `patient`, `consent` and `request` blocks, exactly as given.
    var blocks: [(String, JSONValue)]

    /// Why an answers file cannot be used: every fault found, each naming the field and the rule as opined would, so
    /// all of them can be corrected at once.
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// One fault of the answers.
        public struct Fault: Equatable, Sendable {
            /// The manifest rejection code the same mistake in a manifest would get.
            public var code: Rejection.Code
            /// `answers: ` and the field at fault and its rule; never a value, nor a key the answers made up.
            public var text: String
            /// The manifest field at fault (`patient.email`), when one is named.
            public var field: String? = nil
        }

        /// Every fault, in the order a manifest's are met (unknown keys first).
        public var faults: [Fault]
        /// The first fault's code.
        public var code: Rejection.Code { faults[0].code }
        /// The faults and what to do: one line for one fault, else a line each after a count.
        public var message: String {
            if faults.count == 1 { return faults[0].text + "; correct the answers file and pack again" }
            return "the answers file has \(faults.count) problems; correct them and pack again:"
                + faults.map { "\n  " + $0.text }.joined()
        }
        /// The message, as printed.
        public var description: String { message }

        init(_ faults: [Fault]) { self.faults = faults }
        init(code: Rejection.Code, message: String) { faults = [Fault(code: code, text: message)] }
    }

    /// Reads and checks an answers file, noting every fault before refusing it. `newID` makes the submission id when
    /// the answers give none; `now` is the time of packing (`submitted_at` when not given, and "today" for the date
    /// rules).
    public static func parse(
        _ data: some Collection<UInt8>, limits: IntakeSettings, now: Date = Date(), newID: () -> String = Self.newSubmissionID
    ) throws(Problem) -> PackAnswers {
        guard data.count <= maxBytes else { throw Problem(code: .manifestTooLarge, message: "the answers file is larger than \(maxBytes >> 10) KiB") }
        let root: JSONValue
        do { root = try StrictJSONParser.parse(data) } catch {
            throw Problem(code: .manifestInvalidJSON, message: "the answers file \(error.message) (byte \(error.offset)); write it as one JSON object")
        }
        guard case .object(let members) = root else {
            throw Problem(code: .manifestInvalidJSON, message: "the answers file must hold one JSON object (patient, consent, request)")
        }
        var faults = unknownKeys(members)
        func text(_ key: String) -> String? {
            switch members.first(where: { $0.0 == key })?.1 {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default:
                faults.append(Problem.Fault(code: .manifestInvalidField, text: "answers: \(key) must be a string"))
                return nil
            }
        }
        let answers = PackAnswers(
            submissionID: text("submission_id") ?? newID(), submittedAt: text("submitted_at") ?? Timestamps.format(now),
            supplements: text("supplements"), blocks: members.filter { ["patient", "consent", "request"].contains($0.0) })
        // The same rules as a manifest, with one stand-in image so only the answers can be at fault.
        let standIn = Manifest.ListedFile(path: "IM1", kind: FileKind.imaging.rawValue, mediaType: .dicom, size: 0, sha256: String(repeating: "0", count: 64))
        let reading = Manifest.read(answers.manifest(files: [standIn]), limits: limits, today: now, collecting: true)
        if case .failure(let rejection) = reading.result {
            faults += (reading.problems.isEmpty ? [rejection] : reading.problems).map(fault)
        }
        guard faults.isEmpty else { throw Problem(faults) }
        return answers
    }

    /// A top-level key that is not an answer, named only when it is a field name of the bundle format (never a key
    /// the answers made up, which may be free text), else by its place, with the answer it resembles.
    static func unknownKeys(_ members: [(String, JSONValue)]) -> [Problem.Fault] {
        members.enumerated().filter { !keys.contains($0.element.0) }.map { index, member in
            let key = member.0
            let named = ManifestFieldPath.names.contains(key) ? key : "key \(index + 1) of the object"
            let hint = ManifestFieldPath.names.contains(key) ? "" : keys.first { Self.resembles(key, $0) }.map { " (did you mean \($0)?)" } ?? ""
            return Problem.Fault(
                code: .manifestInvalidField,
                text: "answers: \(named) is not an answer\(hint); the answers may hold only \(keys.joined(separator: ", "))")
        }
    }

    /// A manifest problem of the answers, in the answers' words; a key the answers made up, which the manifest's
    /// sentence repeats, is left out: the block holding it is named instead.
    static func fault(_ rejection: Rejection) -> Problem.Fault {
        var text = rejection.message.hasPrefix("manifest.json: ") ? String(rejection.message.dropFirst(15)) : rejection.message
        if let range = text.range(of: " is not a field of bundle format version 1") {
            text = "\(rejection.field ?? "the answers") has a key that" + text[range.lowerBound...]
        }
        return Problem.Fault(code: rejection.code, text: "answers: \(text)", field: rejection.field)
    }

    /// Whether `key` is one or two typing mistakes from `answer` (a letter wrong, missing or extra, any case).
    static func resembles(_ key: String, _ answer: String) -> Bool {
        let a = Array(key.lowercased().utf8), b = Array(answer.utf8)
        guard abs(a.count - b.count) <= 2, a.count < 64 else { return false }
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var next = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count { next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)) }
            row = next
        }
        return row[b.count] <= 2
    }

    /// Whether the answers' request says something, which a supplement without files must (a `request` block with
    /// at least one field: the manifest's own rule).
    public var requestSaysSomething: Bool {
        guard case .object(let fields)? = blocks.first(where: { $0.0 == "request" })?.1 else { return false }
        return !fields.isEmpty
    }

    /// A submission id for a bundle whose answers give none: unique enough that two packs never collide.
    public static func newSubmissionID() -> String {
        Hex.lowercase((0..<8).map { _ in UInt8.random(in: 0...255) }, prefix: "pack-")
    }

    /// The manifest for these answers and `files`, as the UTF-8 bytes of a JSON document (two-space indented).
    public func manifest(files: [Manifest.ListedFile]) -> [UInt8] {
        let listed: [JSONValue] = files.map { file in
            .object([
                ("path", .string(file.path)), ("kind", .string(file.kind)), ("media_type", .string(file.mediaType.rawValue)),
                ("size", .number(String(file.size))), ("sha256", .string(file.sha256)),
            ])
        }
        var top: [(String, JSONValue)] = [("version", .number("1")), ("submission_id", .string(submissionID)), ("submitted_at", .string(submittedAt))]
        if let supplements { top.append(("supplements", .string(supplements))) }
        var out: [UInt8] = []
        JSONWriter.write(.object(top + blocks + [("files", .array(listed))]), into: &out, indent: 0)
        out.append(0x0A)
        return out
    }
}

/// Writes a `JSONValue` back out as JSON, keys in their order and numbers as their text.
enum JSONWriter {
    static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int) {
        let pad = { (depth: Int) in [UInt8](repeating: 0x20, count: depth * 2) }
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let text): out += Array(text.utf8)
        case .string(let text): string(text, into: &out)
        case .array(let items):
            // A list of plain values stays on one line; a list of objects gets a line each.
            let inline = !items.contains { if case .object = $0 { true } else { false } }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out += inline ? [0x2C, 0x20] : [0x2C] }
                if !inline { out += [0x0A] + pad(indent + 1) }
                write(item, into: &out, indent: indent + 1)
            }
            if !inline, !items.isEmpty { out += [0x0A] + pad(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, member)) in members.enumerated() {
                out += (index > 0 ? [0x2C, 0x0A] : [0x0A]) + pad(indent + 1)
                string(key, into: &out)
                out += [0x3A, 0x20]
                write(member, into: &out, indent: indent + 1)
            }
            if !members.isEmpty { out += [0x0A] + pad(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func string(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            case _ where scalar.value < 0x20: out += Array(String(format: "\\u%04x", scalar.value).utf8)
            default: out += Array(String(scalar).utf8)
            }
        }
        out.append(0x22)
    }
}
