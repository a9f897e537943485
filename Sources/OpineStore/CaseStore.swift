import Foundation
import GRDB
import OpineCore

/// The SQLite database shared by `opined` and every `opine` process: WAL so readers never block the daemon, a busy
/// timeout so writers queue instead of failing, and every change committed together with its audit event and its
/// outbox notification.
public final class CaseStore: Sendable {
    /// The connection pool; readers run concurrently with the daemon's writer.
    public let pool: DatabasePool
    /// The database file, for messages.
    public let path: String

    /// Who is opening the database, which decides whether it may be created.
    public enum OpenMode: Sendable {
        /// The daemon: creates the database and applies migrations.
        case createAndMigrate
        /// The CLI: the database must exist; pending migrations are applied so an upgraded CLI works at once.
        case existing
        /// Root's monitoring reads (`opine status`, `stats`, …): the database must exist and be migrated already,
        /// and nothing is written. SQLite run as root gives any `-wal`/`-shm` file it must create the database
        /// file's owner, so opined can still open them.
        case readOnly
    }

    /// Opens (or, for the daemon, creates) the database and applies pending migrations.
    public init(path: String, mode: OpenMode) throws {
        if mode != .createAndMigrate, !FileManager.default.fileExists(atPath: path) {
            throw StoreError.noDatabase(path)
        }
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        configuration.label = "opine"
        configuration.readonly = mode == .readOnly
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        if mode == .readOnly {
            guard try pool.read(Migrations.migrator.hasCompletedMigrations) else { throw StoreError.migrationsPending(path) }
            return
        }
        if mode == .createAndMigrate {
            // Members of the service's group (coordinators, reviewers) write through `opine`; SQLite gives the
            // -wal and -shm files the database's mode, so this one chmod covers all three.
            for suffix in ["", "-wal", "-shm"] { _ = chmod(path + suffix, 0o660) }
        }
        try Migrations.migrator.migrate(pool)
    }
}

/// Why the store refused or could not do something; each message names the problem and the fix.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// The database file does not exist (the CLI never creates one; opined does at its first start).
    case noDatabase(String)
    /// No case has this id.
    case caseNotFound(String)
    /// The case changed between reading and writing (someone else acted first); `opine` exits 3.
    case conflict(String)
    /// The workflow refused the request; its description says why.
    case refused(WorkflowError)
    /// Input the store cannot accept, reported as a usage error.
    case invalidInput(String)
    /// The person may not do this (such as `--as` without being an admin).
    case notPermitted(String)
    /// Something other than a case was not found (a delivery, an endpoint); the message names it.
    case notFound(String)
    /// A read-only open found migrations this version would apply (opined applies them when it starts).
    case migrationsPending(String)

    /// The message `opine` prints, naming the problem and the fix.
    public var description: String {
        switch self {
        case .noDatabase(let path):
            "no database at \(path): check paths.state in the configuration, and start opined once to create it"
        case .caseNotFound(let id):
            "no case \(id.escapedForDisplay); `opine list --all` shows every case id"
        case .conflict(let message): message
        case .refused(let error): error.description
        case .invalidInput(let message): message
        case .notPermitted(let message): message
        case .notFound(let message): message
        case .migrationsPending(let path):
            "\(path) needs migrations this opine would apply, and a read-only open (root) cannot: restart opined, which applies them, or run opine as the service user"
        }
    }
}

/// Small JSON objects of strings for audit details and outbox data, with stable key order.
public enum JSONText {
    /// `{"a":"1","b":"2"}`: sorted keys, slashes unescaped.
    public static func object(_ values: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(values)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The object back, or an empty one if the text is not a JSON object of strings.
    public static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
