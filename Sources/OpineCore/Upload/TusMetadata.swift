import Foundation

/// A tus upload's `Upload-Metadata` as the upload service takes it: the draft it belongs to, its role, and its path
/// within the picked folder (or the report's file name). Parsed strictly: every pair must be `key base64`, every
/// value valid UTF-8, no key twice, no key the contract does not name.
public struct TusMetadata: Sendable, Equatable {
    /// What an upload is to the request.
    public enum Role: String, Codable, Sendable, Equatable, CaseIterable {
        /// A file of the MRI study (a DICOM file, a DICOMDIR, …).
        case study
        /// The radiology report.
        case report
    }

    /// The keys the contract names.
    public static let keys: Set<String> = ["draft", "role", "path"]
    /// The report's file name extensions (PDF, JPEG, PNG, text), any case.
    public static let reportExtensions: Set<String> = ["pdf", "jpg", "jpeg", "png", "txt"]
    /// The longest header read.
    public static let maxHeaderBytes = 2048

    /// The draft id.
    public var draft: String
    /// Study file or report.
    public var role: Role
    /// The file's path within the picked folder (study) or its file name (report).
    public var path: String

    /// A metadata value with these fields.
    public init(draft: String, role: Role, path: String) {
        self.draft = draft
        self.role = role
        self.path = path
    }

    /// Reads the header, or says what is wrong with it (never repeating a value, which may be a patient's file name).
    public static func parse(_ header: String?) -> Result<TusMetadata, TusPolicy.Refusal> {
        guard let header, !header.isEmpty else { return .failure(refusal("the upload names no draft, role or path (Upload-Metadata)")) }
        guard header.utf8.count <= maxHeaderBytes else { return .failure(refusal("Upload-Metadata is too long")) }
        var values: [String: String] = [:]
        for pair in header.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let key = parts.first.map(String.init), keys.contains(key) else {
                return .failure(refusal("Upload-Metadata holds a pair that is not draft, role or path with a base64 value"))
            }
            guard values[key] == nil else { return .failure(refusal("Upload-Metadata names \(key) twice")) }
            guard let data = Data(base64Encoded: String(parts[1])), let value = String(data: data, encoding: .utf8) else {
                return .failure(refusal("Upload-Metadata's \(key) is not base64 of UTF-8 text"))
            }
            values[key] = value
        }
        guard let draft = values["draft"], let roleText = values["role"], let path = values["path"] else {
            return .failure(refusal("Upload-Metadata must name draft, role and path"))
        }
        guard let role = Role(rawValue: roleText) else { return .failure(refusal("Upload-Metadata's role must be study or report")) }
        let metadata = TusMetadata(draft: draft, role: role, path: path)
        if let problem = metadata.pathProblem { return .failure(refusal("the file's path \(problem)")) }
        return .success(metadata)
    }

    /// What is wrong with `path` for this role, or nil: the bundle's path rules, no name opined would take for an
    /// upload in progress, and for a report a single file name with a report's extension.
    public var pathProblem: String? {
        if let problem = PathRules.problem(with: path) { return problem }
        for component in path.split(separator: "/") {
            if let mark = InProgressMark.of(String(component)) {
                return mark == .hidden ? "has a hidden component" : "ends in \(mark.rawValue), which marks a file still being written"
            }
        }
        guard role == .report else {
            // opine pack leaves a zip inside a study folder out (it may hold anything); sent here, it would vanish
            // from the bundle unseen, so a client must send the zip's files, as the page does.
            if (path as NSString).pathExtension.lowercased() == "zip" { return "is a zip: send the files inside it instead" }
            return nil
        }
        if path.contains("/") { return "must be a single file name for the report" }
        let ext = (path as NSString).pathExtension.lowercased()
        guard Self.reportExtensions.contains(ext) else { return "must end in .pdf, .jpg, .jpeg, .png or .txt for the report" }
        return nil
    }

    private static func refusal(_ problem: String) -> TusPolicy.Refusal {
        TusPolicy.Refusal(400, "The upload was refused: \(problem). Reload the page and pick the files again.")
    }
}
