/// Why an upload was refused. The code is for machines (reason.json, the database, the `bundle.rejected` webhook);
/// the message names the exact field or entry and never repeats patient data.
public struct Rejection: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// docs/bundle-format.md lists each with an example.
    public enum Code: String, Codable, Sendable, CaseIterable {
        case notABundle = "not_a_bundle"
        case incomplete
        case manifestMissing = "manifest_missing"
        case manifestTooLarge = "manifest_too_large"
        case manifestInvalidJSON = "manifest_invalid_json"
        case manifestInvalidField = "manifest_invalid_field"
        case unsupportedVersion = "unsupported_version"
        case consentMissing = "consent_missing"
        case unknownSymptom = "unknown_symptom"
        case unsafePath = "unsafe_path"
        case specialFile = "special_file"
        case duplicateName = "duplicate_name"
        case unlistedFile = "unlisted_file"
        case missingFile = "missing_file"
        case sizeMismatch = "size_mismatch"
        case checksumMismatch = "checksum_mismatch"
        case contentTypeMismatch = "content_type_mismatch"
        case fileEncrypted = "file_encrypted"
        case limitExceeded = "limit_exceeded"
        case zipInvalid = "zip_invalid"
        case zipEncrypted = "zip_encrypted"
        case zipBomb = "zip_bomb"
    }
}
