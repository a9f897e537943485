/// Where each thing lives in a backup archive, which is also where restore puts it under the target directory:
/// the configuration, the database, the case files, the quarantined uploads, and the manifest last.
public enum BackupLayout {
    /// The configuration file, with any inline credentials removed.
    public static let configuration = "opine.toml"
    /// The database snapshot (SQLite's online backup).
    public static let database = "state/opine.sqlite3"
    /// Case folders: `state/cases/<case id>/<path>`.
    public static let cases = "state/cases"
    /// Quarantined uploads: `spool/rejected/<folder>/…`.
    public static let rejected = "spool/rejected"
    /// The restored state directory, relative to the target.
    public static let state = "state"
    /// The restored spool directory, relative to the target.
    public static let spool = "spool"
    /// The manifest: every other member's size and SHA-256; written last.
    public static let manifest = "manifest.json"
    /// The largest manifest restore reads into memory (about a million members).
    public static let maxManifestBytes: Int64 = 256 << 20

    /// What a member is, by its path.
    public enum Member: Sendable, Equatable {
        /// `opine.toml`.
        case configuration
        /// `state/opine.sqlite3`.
        case database
        /// A file or folder under `state/cases/`.
        case caseFile
        /// A file or folder under `spool/rejected/`.
        case rejectedFile
        /// `manifest.json`.
        case manifest
    }

    /// Why a member is refused on restore: its path or kind could write outside the target or plant something other
    /// than a plain file.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, naming the member (escaped).
        public var description: String
    }

    /// Decides whether an archive member may be restored: a relative path with no empty, `.` or `..` component and no
    /// NUL, under one of the known places, and a plain file (or a folder under cases or rejected). Links, devices,
    /// FIFOs and every other kind are refused.
    public static func check(_ header: TarHeader) -> Result<Member, Refusal> {
        let path = header.path
        let shown = path.escapedForDisplay
        func refuse(_ why: String) -> Result<Member, Refusal> { .failure(Refusal(description: "archive member \(shown): \(why)")) }
        switch header.kind {
        case .file, .directory: break
        case .paxExtended: return refuse("a pax header where a member was expected")
        case .other(let flag): return refuse("is a \(kindName(flag)); a backup holds only plain files and folders")
        }
        if path.hasPrefix("/") { return refuse("is an absolute path") }
        if path.utf8.contains(0) { return refuse("holds a NUL byte") }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        let trimmed = header.kind == .directory && components.last == "" ? components.dropLast() : components[...]
        if trimmed.contains(where: { $0 == ".." }) { return refuse("climbs out of the target with ..") }
        if trimmed.contains(where: { $0.isEmpty || $0 == "." }) { return refuse("has an empty or . component") }
        let joined = trimmed.joined(separator: "/")
        let isFile = header.kind == .file
        switch joined {
        case configuration where isFile: return .success(.configuration)
        case database where isFile: return .success(.database)
        case manifest where isFile: return .success(.manifest)
        default:
            if joined.hasPrefix(cases + "/"), trimmed.count >= 4 || (trimmed.count == 3 && !isFile) { return .success(.caseFile) }
            if joined.hasPrefix(rejected + "/"), trimmed.count >= 4 || (trimmed.count == 3 && !isFile) { return .success(.rejectedFile) }
            return refuse("is not a place an Opine backup writes to")
        }
    }

    private static func kindName(_ flag: UInt8) -> String {
        switch flag {
        case UInt8(ascii: "1"): "hard link"
        case UInt8(ascii: "2"): "symbolic link"
        case UInt8(ascii: "3"): "character device"
        case UInt8(ascii: "4"): "block device"
        case UInt8(ascii: "6"): "FIFO"
        case UInt8(ascii: "g"): "pax global header"
        default: "member of type \(flag < 32 || flag > 126 ? "0x" + String(flag, radix: 16) : String(UnicodeScalar(flag)))"
        }
    }
}

/// `manifest.json`, the last member of a backup: what was backed up, and every other member's size and SHA-256.
public struct BackupManifest: Codable, Sendable, Equatable {
    /// One archived file.
    public struct Entry: Codable, Sendable, Equatable {
        /// Its path in the archive.
        public var path: String
        /// Its size in bytes.
        public var size: Int64
        /// Its SHA-256, lowercase hex.
        public var sha256: String

        /// An entry.
        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Always `opine-backup`.
    public var format = "opine-backup"
    /// The archive layout's version (1).
    public var version = 1
    /// When the database snapshot was taken (RFC 3339).
    public var createdAt: String
    /// The opine that wrote it.
    public var opineVersion: String
    /// `PRAGMA user_version` of the snapshot.
    public var schemaVersion: Int
    /// The audit chain's head in the snapshot (`SEQ:HASH`); restore checks the restored chain still has it.
    public var auditHead: String
    /// Cases in the snapshot.
    public var cases: Int
    /// Quarantine folders in the snapshot.
    public var rejectedFolders: Int
    /// Paths under the spool's `rejected/` left out because they are not plain files (links, devices), or unreadable.
    public var skipped: [String]
    /// Endpoints whose URL had credentials (user, password or query) removed from the archived configuration.
    public var redactedEndpoints: [String]
    /// Every other member, in archive order.
    public var members: [Entry]

    /// A manifest.
    public init(createdAt: String, opineVersion: String, schemaVersion: Int, auditHead: String, cases: Int, rejectedFolders: Int,
                skipped: [String], redactedEndpoints: [String], members: [Entry]) {
        self.createdAt = createdAt
        self.opineVersion = opineVersion
        self.schemaVersion = schemaVersion
        self.auditHead = auditHead
        self.cases = cases
        self.rejectedFolders = rejectedFolders
        self.skipped = skipped
        self.redactedEndpoints = redactedEndpoints
        self.members = members
    }

    /// JSON keys.
    public enum CodingKeys: String, CodingKey {
        /// Keys named as the properties.
        case format, version, cases, skipped, members
        /// Keys in snake_case.
        case createdAt = "created_at", opineVersion = "opine_version", schemaVersion = "schema_version", auditHead = "audit_head",
             rejectedFolders = "rejected_folders", redactedEndpoints = "redacted_endpoints"
    }

    /// The first difference between what was read and what the manifest lists, naming the member; nil when they agree.
    public func mismatch(with read: [String: Entry]) -> String? {
        var listed = Set<String>()
        for entry in members {
            listed.insert(entry.path)
            guard let got = read[entry.path] else { return "archive member \(entry.path.escapedForDisplay) is listed in the manifest but missing" }
            if got.size != entry.size { return "archive member \(entry.path.escapedForDisplay) has \(got.size) bytes; the manifest says \(entry.size)" }
            if got.sha256 != entry.sha256 { return "archive member \(entry.path.escapedForDisplay) does not match its SHA-256 in the manifest" }
        }
        if let extra = read.keys.sorted().first(where: { !listed.contains($0) }) {
            return "archive member \(extra.escapedForDisplay) is not listed in the manifest"
        }
        return nil
    }
}

extension BackupManifest {
    /// The `format` and `version` a manifest declares, read on their own before the rest, so that an archive of
    /// another kind or of a later layout is refused for what it says it is rather than as unreadable JSON.
    public struct Identity: Decodable, Sendable, Equatable {
        /// The declared format as found (a string), nil when missing or not a string.
        public var format: String?
        /// The declared version as found: a number as written, or a string in quotes; nil when missing.
        public var version: String?

        private enum CodingKeys: String, CodingKey { case format, version }

        /// An identity as found.
        public init(format: String?, version: String?) {
            self.format = format
            self.version = version
        }

        /// Reads whatever the two keys hold, leniently: a wrong type is shown, not a decoding error.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            format = try? container.decode(String.self, forKey: .format)
            if let number = try? container.decode(Int.self, forKey: .version) {
                version = String(number)
            } else {
                version = (try? container.decode(String.self, forKey: .version)).map { "\"\($0)\"" }
            }
        }

        /// Why restore refuses this manifest, naming what it found; nil for format `opine-backup`, version 1, the only
        /// layout this opine reads.
        public var refusal: String? {
            guard format != "opine-backup" || version != "1" else { return nil }
            let found = "format \(format.map { "\"\($0)\"" } ?? "(none)"), version \(version ?? "(none)")".escapedForDisplay
            return "the archive's \(BackupLayout.manifest) declares \(found), but opine restore reads only format \"opine-backup\", version 1: it is not an Opine backup, or a later opine wrote it (restore it with that opine)"
        }
    }
}
