import Foundation

/// What the person packing a bundle answers about the patient and the request (`opine pack --answers FILE`): the
/// manifest's `patient`, `consent` and `request` blocks, as docs/bundle-format.md describes them, and optionally the
/// `submission_id` and `submitted_at`. The answers are held to the manifest's own rules before a byte is copied, so
/// a bundle `opine pack` makes is never refused for them.
public struct PackAnswers: Sendable {
    /// The keys an answers file may have; anything else is refused, so a typo cannot pass unseen.
    public static let keys = ["submission_id", "submitted_at", "patient", "consent", "request"]
    /// The largest answers file read.
    public static let maxBytes = 256 << 10

    /// The submission id given, or one `opine pack` makes (`pack-` and 16 hexadecimal digits).
    public var submissionID: String
    /// `submitted_at` as given, or the time of packing.
    public var submittedAt: String
    /// The answers' `patient`, `consent` and `request` blocks, exactly as given.
    var blocks: [(String, JSONValue)]

    /// Why an answers file cannot be used: the message names the field and the rule, as opined would.
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// The manifest rejection code the same mistake in a manifest would get.
        public var code: Rejection.Code
        /// The field at fault and its rule, then what to do.
        public var message: String
        /// The message, as printed.
        public var description: String { message }
    }

    /// Reads and checks an answers file. `newID` makes the submission id when the answers give none; `now` is the
    /// time of packing (`submitted_at` when not given, and "today" for the date rules).
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
        if let unknown = members.first(where: { !keys.contains($0.0) }) {
            throw Problem(code: .manifestInvalidField, message: "answers: \(unknown.0.escapedForDisplay) is not an answer (allowed: \(keys.joined(separator: ", "))); remove it")
        }
        func text(_ key: String) throws(Problem) -> String? {
            switch members.first(where: { $0.0 == key })?.1 {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw Problem(code: .manifestInvalidField, message: "answers: \(key) must be a string; correct the answers file and pack again")
            }
        }
        let answers = PackAnswers(
            submissionID: try text("submission_id") ?? newID(), submittedAt: try text("submitted_at") ?? Timestamps.format(now),
            blocks: members.filter { ["patient", "consent", "request"].contains($0.0) })
        // The same rules as a manifest, with one stand-in image so only the answers can be at fault.
        let standIn = Manifest.ListedFile(path: "IM1", kind: FileKind.imaging.rawValue, mediaType: .dicom, size: 0, sha256: String(repeating: "0", count: 64))
        if case .failure(let rejection) = Manifest.read(answers.manifest(files: [standIn]), limits: limits, today: now).result {
            let field = rejection.message.hasPrefix("manifest.json: ") ? String(rejection.message.dropFirst(15)) : rejection.message
            throw Problem(code: rejection.code, message: "answers: \(field); correct the answers file and pack again")
        }
        return answers
    }

    /// A submission id for a bundle whose answers give none: unique enough that two packs never collide.
    public static func newSubmissionID() -> String {
        "pack-" + (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// The manifest for these answers and `files`, as the UTF-8 bytes of a JSON document (two-space indented).
    public func manifest(files: [Manifest.ListedFile]) -> [UInt8] {
        let listed: [JSONValue] = files.map { file in
            .object([
                ("path", .string(file.path)), ("kind", .string(file.kind)), ("media_type", .string(file.mediaType.rawValue)),
                ("size", .number(String(file.size))), ("sha256", .string(file.sha256)),
            ])
        }
        let top: [(String, JSONValue)] = [("version", .number("1")), ("submission_id", .string(submissionID)), ("submitted_at", .string(submittedAt))]
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
