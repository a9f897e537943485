import Foundation
import GRDB
import OpineCore

/// `endpoint_health`: Core's `EndpointHealth` value, read and written by column (the worker does both for every
/// batch of finished attempts).
extension EndpointHealth: FetchableRecord, PersistableRecord {
    /// The SQLite table the health rows live in.
    public static let databaseTableName = "endpoint_health"


    /// Read by column, not through `Decodable`, and written with one prepared upsert: the worker does both for
    /// every batch of finished attempts.
    public init(row: Row) throws {
        self.init(name: try row.decode(forColumn: CodingKeys.name.stringValue))
        disabledAt = try row.decode(forColumn: CodingKeys.disabledAt.stringValue)
        disabledReason = try row.decode(forColumn: CodingKeys.disabledReason.stringValue)
        failingSince = try row.decode(forColumn: CodingKeys.failingSince.stringValue)
        failuresInRow = try row.decode(forColumn: CodingKeys.failuresInRow.stringValue)
        pausedUntil = try row.decode(forColumn: CodingKeys.pausedUntil.stringValue)
        lastSuccessAt = try row.decode(forColumn: CodingKeys.lastSuccessAt.stringValue)
        lastFailureAt = try row.decode(forColumn: CodingKeys.lastFailureAt.stringValue)
    }

    /// The endpoint's stored health, or a fresh one if nothing happened to it yet.
    package static func fetch(_ db: Database, name: String) throws -> EndpointHealth {
        try fetchOne(db.cachedStatement(sql: "SELECT * FROM endpoint_health WHERE name = ?"), arguments: [name])
            ?? EndpointHealth(name: name)
    }

    /// Every endpoint that has a stored health, by name.
    package static func all(_ db: Database) throws -> [String: EndpointHealth] {
        Dictionary(uniqueKeysWithValues: try fetchAll(db).map { ($0.name, $0) })
    }

    /// Inserts or replaces the endpoint's stored health with one cached statement.
    package func write(_ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO endpoint_health (name, disabled_at, disabled_reason, failing_since, failures_in_row, paused_until,
                last_success_at, last_failure_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason,
                failing_since = excluded.failing_since, failures_in_row = excluded.failures_in_row,
                paused_until = excluded.paused_until, last_success_at = excluded.last_success_at,
                last_failure_at = excluded.last_failure_at
            """).execute(arguments: [
                name, disabledAt, disabledReason, failingSince, failuresInRow, pausedUntil, lastSuccessAt, lastFailureAt,
            ])
    }
}
