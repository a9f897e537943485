/// Why an upload was refused. The code is for machines (reason.json, the database, the `bundle.rejected` webhook);
/// the message names the exact field or entry and never repeats patient data. `entry` and `field` say the same for
/// machines (the `bundle.rejected` webhook), so an uploader can point at what to fix.
public struct Rejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reason's code, one of docs/bundle-format.md's rejection reasons.
    public var code: Code
    /// What exactly is wrong, for people; never holds patient data.
    public var message: String
    /// The file at fault, by its path within the upload (as listed or as found), escaped for display: the uploader
    /// chose it, so it may be shown back to them. Nil when the refusal concerns no one file.
    public var entry: String?
    /// The manifest field at fault, as a path of format field names (`files[2].sha256`, `patient.date_of_birth`);
    /// never a value, and never a key the manifest made up. Nil when no field is at fault.
    public var field: String?

    /// Makes a rejection with its code and message; `field` defaults to the one a manifest message names.
    public init(_ code: Code, _ message: String, entry: String? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.entry = entry.map(Self.boundedEntry)
        self.field = field ?? ManifestFieldPath.named(in: message)
    }

    /// The same rejection, naming `entry` (a raw path within the upload) unless it already names one.
    public func naming(entry path: String) -> Rejection {
        var copy = self
        if copy.entry == nil { copy.entry = Self.boundedEntry(path) }
        return copy
    }

    /// Longest entry carried: a path over `PathRules.maxBytes` is itself the fault, and its first part names it.
    static let maxEntryCharacters = 512

    private static func boundedEntry(_ path: String) -> String {
        let shown = path.escapedForDisplay
        return shown.count <= maxEntryCharacters ? shown : String(shown.prefix(maxEntryCharacters)) + "…"
    }

    /// An entry read back from outside (a quarantine folder's reason.json), bounded as `init` bounds one. It was
    /// escaped when written, so its backslashes stay as they are; anything escaping would still change is escaped.
    public static func recovered(entry: String) -> String {
        let shown = entry.split(separator: "\\", omittingEmptySubsequences: false)
            .map { String($0).escapedForDisplay }.joined(separator: "\\")
        return shown.count <= maxEntryCharacters ? shown : String(shown.prefix(maxEntryCharacters)) + "…"
    }

    /// The code and message, as logged.
    public var description: String { "\(code.rawValue): \(message)" }

    /// docs/bundle-format.md lists each with an example.
    public enum Code: String, Codable, Sendable, CaseIterable {
        /// Neither a directory nor a `.zip` (or a symlink).
        case notABundle = "not_a_bundle"
        /// Stayed incomplete with no change for `intake.incomplete_after_hours`; the message names what is missing.
        case incomplete
        /// No `manifest.json` at the top level.
        case manifestMissing = "manifest_missing"
        /// `manifest.json` is over `Manifest.maxBytes`.
        case manifestTooLarge = "manifest_too_large"
        /// Not JSON, not UTF-8, a byte-order mark, a repeated key, or nested too deep.
        case manifestInvalidJSON = "manifest_invalid_json"
        /// A field is missing, unknown or breaks its rule; the message names it.
        case manifestInvalidField = "manifest_invalid_field"
        /// `version` is not 1.
        case unsupportedVersion = "unsupported_version"
        /// `consent.hipaa_authorization` is not `true`.
        case consentMissing = "consent_missing"
        /// A symptom code not in the table.
        case unknownSymptom = "unknown_symptom"
        /// A path or name breaks `PathRules`.
        case unsafePath = "unsafe_path"
        /// A symlink, hard link, FIFO, socket or device, or a zip symlink entry; refused at once when listed.
        case specialFile = "special_file"
        /// Two names that collide ignoring case or Unicode normalization.
        case duplicateName = "duplicate_name"
        /// A file the manifest does not list.
        case unlistedFile = "unlisted_file"
        /// A listed file is not in the bundle (zips; a directory bundle missing one waits and counts as incomplete).
        case missingFile = "missing_file"
        /// A file's size differs from the manifest, or it changed while being read.
        case sizeMismatch = "size_mismatch"
        /// A file's SHA-256 differs from the manifest.
        case checksumMismatch = "checksum_mismatch"
        /// A file's bytes lack its media type's signature, or a PDF has data after its end.
        case contentTypeMismatch = "content_type_mismatch"
        /// A password-protected PDF the reviewer could not open.
        case fileEncrypted = "file_encrypted"
        /// Too many files, or a file or the bundle too large.
        case limitExceeded = "limit_exceeded"
        /// A damaged, truncated, ZIP64 or inconsistent zip, an unsupported method, or a CRC mismatch.
        case zipInvalid = "zip_invalid"
        /// An encrypted zip entry.
        case zipEncrypted = "zip_encrypted"
        /// Overlapping entries, or an entry that inflates past its declared size.
        case zipBomb = "zip_bomb"
        /// The submission id of an existing case, with other files (docs/bundle-format.md, "Re-sends").
        case submissionReused = "submission_reused"
        /// Files declared DICOM of which not one has a readable header.
        case imagingUnreadable = "imaging_unreadable"
        /// A supplement names a submission id no case has.
        case supplementUnknownCase = "supplement_unknown_case"
        /// A supplement for a withdrawn case, which takes nothing more.
        case supplementCaseWithdrawn = "supplement_case_withdrawn"
        /// A supplement for a case the purge has removed, which takes nothing more.
        case supplementCasePurged = "supplement_case_purged"
        /// A supplement whose patient contact is not the case's.
        case supplementContactMismatch = "supplement_contact_mismatch"
    }
}
