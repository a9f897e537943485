import Foundation

/// Reads fields out of parsed JSON, turning every problem into a rejection that names the field's path.
struct FieldReader {
    typealias Object = [(String, JSONValue)]
    var today: Date
    /// Where a collecting read (`opine validate`) notes each problem before going on; nil for intake's read, which
    /// stops at the first.
    var problems: Problems?

    /// The problems a collecting read has met, in order.
    final class Problems {
        var list: [Rejection] = []
    }

    init(today: Date, problems: Problems? = nil) {
        self.today = today
        self.problems = problems
    }

    /// Runs one field's check. A plain read throws its problem; a collecting one notes it and returns nil, so the
    /// caller goes on to the next field.
    @discardableResult
    func attempt<T>(_ check: () throws(Rejection) -> T) throws(Rejection) -> T? {
        guard let problems else { return try check() }
        do { return try check() } catch {
            problems.list.append(error)
            return nil
        }
    }

    func invalid(_ path: String, _ problem: String) -> Rejection {
        Rejection(.manifestInvalidField, "manifest.json: \(path) \(problem)")
    }

    func join(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }

    func object(_ value: JSONValue, at path: String) throws(Rejection) -> Object {
        guard case .object(let members) = value else {
            throw path.isEmpty
                ? Rejection(.manifestInvalidJSON, "manifest.json must hold a JSON object")
                : invalid(path, "must be an object")
        }
        return members
    }

    func array(_ value: JSONValue, at path: String) throws(Rejection) -> [JSONValue] {
        guard case .array(let items) = value else { throw invalid(path, "must be an array") }
        return items
    }

    func onlyKeys(_ object: Object, _ allowed: [String], at path: String) throws(Rejection) {
        if let unknown = object.first(where: { !allowed.contains($0.0) }) {
            throw invalid(join(path, unknown.0.escapedForDisplay), "is not a field of bundle format version 1 (allowed here: \(allowed.joined(separator: ", ")))")
        }
    }

    func optional(_ object: Object, _ key: String) -> JSONValue? {
        object.first(where: { $0.0 == key }).map(\.1).flatMap { $0 == .null ? nil : $0 }
    }

    func required(_ object: Object, _ key: String, at path: String) throws(Rejection) -> JSONValue {
        guard let value = optional(object, key) else { throw invalid(join(path, key), "is missing") }
        return value
    }

    func string(_ object: Object, _ key: String, at path: String, length: ClosedRange<Int>) throws(Rejection) -> String {
        guard case .string(let text) = try required(object, key, at: path) else {
            throw invalid(join(path, key), "must be a string")
        }
        guard length.contains(text.count) else {
            throw invalid(join(path, key), "must be \(length.lowerBound) to \(length.upperBound) characters")
        }
        return text
    }

    /// Free text typed by a patient: printable, with newlines and tabs allowed only where `multiline`.
    func text(_ object: Object, _ key: String, at path: String, length: ClosedRange<Int>, multiline: Bool = false) throws(Rejection) -> String {
        let text = try string(object, key, at: path, length: length)
        guard !text.isBlank else { throw invalid(join(path, key), "must not be blank") }
        for scalar in text.unicodeScalars where PathRules.isForbidden(scalar) {
            if multiline, scalar == "\n" || scalar == "\t" || scalar == "\r" { continue }
            throw invalid(join(path, key), "contains the control character U+\(String(format: "%04X", scalar.value))")
        }
        return text
    }

    func timestamp(_ object: Object, _ key: String, at path: String) throws(Rejection) -> String {
        let text = try string(object, key, at: path, length: 1...64)
        guard Timestamps.parseRFC3339(text) != nil else {
            throw invalid(join(path, key), "must be an RFC 3339 time such as 2026-11-26T09:30:00Z")
        }
        return text
    }

    func date(_ object: Object, _ key: String, at path: String, inPast: Bool, optional isOptional: Bool = false) throws(Rejection) -> String? {
        if isOptional, optional(object, key) == nil { return nil }
        let text = try string(object, key, at: path, length: 10...10)
        guard let date = Timestamps.parseDay(text) else {
            throw invalid(join(path, key), "must be a date written YYYY-MM-DD")
        }
        if inPast, date > today { throw invalid(join(path, key), "must not be in the future") }
        return text
    }

    func email(_ object: Object, at path: String) throws(Rejection) -> String? {
        guard optional(object, "email") != nil else { return nil }
        let text = try string(object, "email", at: path, length: 3...254)
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { throw invalid(join(path, "email"), "must be an email address such as name@example.org") }
        return text
    }

    func phone(_ object: Object, at path: String) throws(Rejection) -> String? {
        guard optional(object, "phone") != nil else { return nil }
        let text = try string(object, "phone", at: path, length: 1...32)
        let digits = text.filter(\.isASCII).filter(\.isNumber).count
        guard (7...15).contains(digits), text.allSatisfy({ $0.isASCII && ($0.isNumber || " +-().".contains($0)) }) else {
            throw invalid(join(path, "phone"), "must be a phone number of 7 to 15 digits (spaces, +, -, ( ) and . allowed)")
        }
        return text
    }

    func codes(_ object: Object, _ key: String, at path: String, allowed: [String], nonEmpty: Bool) throws(Rejection) -> [String] {
        let field = join(path, key)
        var result: [String] = []
        for (index, item) in try array(try required(object, key, at: path), at: field).enumerated() {
            guard case .string(let code) = item, allowed.contains(code) else {
                throw invalid("\(field)[\(index)]", "must be one of \(allowed.joined(separator: ", "))")
            }
            if !result.contains(code) { result.append(code) }
        }
        if nonEmpty, result.isEmpty { throw invalid(field, "must name at least one of \(allowed.joined(separator: ", "))") }
        return result
    }

    func integer(_ value: JSONValue?, at path: String) throws(Rejection) -> Int64 {
        guard case .number(let text)? = value, let number = Int64(text), number >= 0 else {
            throw invalid(path, "must be a whole number of bytes")
        }
        return number
    }

    /// The `files` listing. A submission lists at least one radiology report or imaging file; a supplement may
    /// list any kind, or none when it brings only a question.
    func files(_ object: Object, limits: IntakeSettings, supplement: Bool = false) throws(Rejection) -> [Manifest.ListedFile] {
        let items = try array(try required(object, "files", at: ""), at: "files")
        guard !items.isEmpty || supplement else { throw invalid("files", "must list at least one file") }
        guard items.count <= limits.maxFiles else {
            throw Rejection(.limitExceeded, "manifest.json: files lists \(items.count) files; the limit is \(limits.maxFiles)")
        }
        var files: [Manifest.ListedFile] = []
        var seen = Set<String>()
        var total: Int64 = 0
        var skipped = false
        for (index, item) in items.enumerated() {
            let file = try attempt { () throws(Rejection) in try entry(item, at: "files[\(index)]", limits: limits, seen: &seen, total: &total) }
            if let file { files.append(file) } else { skipped = true }
        }
        guard supplement || skipped || files.contains(where: { $0.kind == "radiology_report" || $0.kind == "imaging" }) else {
            throw invalid("files", "must include at least one radiology_report or imaging file")
        }
        return files
    }

    /// One entry of `files`: its path (safe, not the manifest, not colliding with an earlier one), kind, media type,
    /// size (within the limits, with the total so far) and SHA-256.
    private func entry(
        _ item: JSONValue, at: String, limits: IntakeSettings, seen: inout Set<String>, total: inout Int64
    ) throws(Rejection) -> Manifest.ListedFile {
        let entry = try self.object(item, at: at)
        try onlyKeys(entry, ["path", "kind", "media_type", "size", "sha256"], at: at)
        let path = try string(entry, "path", at: at, length: 1...PathRules.maxBytes)
        if let problem = PathRules.problem(with: path) {
            throw Rejection(.unsafePath, "manifest.json: \(at).path \(problem)")
        }
        if path == Manifest.fileName { throw invalid("\(at).path", "must not be manifest.json itself") }
        guard seen.insert(PathRules.collisionKey(path)).inserted else {
            throw Rejection(.duplicateName, "manifest.json: \(at).path names the same file as an earlier entry (names are compared ignoring case and Unicode normalization)")
        }
        let kind = try string(entry, "kind", at: at, length: 1...32)
        guard Manifest.fileKinds.contains(kind) else {
            throw invalid("\(at).kind", "must be one of \(Manifest.fileKinds.joined(separator: ", "))")
        }
        let typeName = try string(entry, "media_type", at: at, length: 1...64)
        guard let mediaType = MediaType(rawValue: typeName) else {
            throw invalid("\(at).media_type", "must be one of \(MediaType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let size = try integer(optional(entry, "size"), at: "\(at).size")
        guard size <= limits.maxFileBytes else {
            throw Rejection(.limitExceeded, "manifest.json: \(at).size is \(size) bytes; the per-file limit is \(limits.maxFileBytes)")
        }
        total += size
        guard total <= limits.maxBundleBytes else {
            throw Rejection(.limitExceeded, "manifest.json: the files add up to more than the bundle limit of \(limits.maxBundleBytes) bytes")
        }
        let hash = try string(entry, "sha256", at: at, length: 64...64).lowercased()
        guard hash.allSatisfy(\.isHexDigit) else { throw invalid("\(at).sha256", "must be 64 hexadecimal digits") }
        return Manifest.ListedFile(path: path, kind: kind, mediaType: mediaType, size: size, sha256: hash)
    }
}
