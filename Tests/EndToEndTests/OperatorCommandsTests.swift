import Foundation
import GRDB
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Operator commands against a running opined: backup, status, check-config, metrics, and refusing root")
struct OperatorCommandsTests {
    @Test("opine backup makes a consistent copy while opined keeps ingesting; status, check-config and metrics")
    func backupStatusMetrics() throws {
        let metricsFile = FileManager.default.temporaryDirectory.appendingPathComponent("opine-\(UUID().uuidString.prefix(8)).prom")
        let sandbox = try Sandbox(["OPINE_METRICS_TEXTFILE": metricsFile.path, "OPINE_METRICS_INTERVAL": "1s"])
        try sandbox.startDaemon()
        let before = try sandbox.addCases((0..<5).map { BundleBuilder(submissionID: "web-backup-\($0)") })
        // More arrive while the backup runs.
        for index in 0..<10 { try sandbox.drop(BundleBuilder(submissionID: "web-during-\(index)")) }
        let target = sandbox.root.appendingPathComponent("opine.backup").path
        let backup = try sandbox.opine("backup", "--to", target, "--json")
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(try backup.json()["cases"] as? Int ?? 0 >= before.count)
        let restored = sandbox.root.appendingPathComponent("restored")
        #expect(try sandbox.opine("restore", "--from", target, "--to", restored.path).status == 0)
        let copy = try DatabaseQueue(path: restored.appendingPathComponent("state/opine.sqlite3").path)
        let ids = Set(try copy.read { try String.fetchAll($0, sql: "SELECT id FROM cases") })
        #expect(Set(before).isSubset(of: ids))
        #expect(try copy.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
        let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
        #expect(mode == 0o600, "a backup holds patient data")
        #expect(try sandbox.opine("backup", "--to", target).status == 64, "never overwrites")
        try waitUntil("all fifteen are cases") { try sandbox.cases().count == 15 }

        let status = try sandbox.opine("status", "--json")
        let healthy = try status.json()["healthy"] as? Bool
        #expect(status.status == 0 && healthy == true, "\(status.stdout)")
        try waitUntil("the metrics file counts fifteen cases") {
            ((try? String(contentsOf: metricsFile, encoding: .utf8)) ?? "").contains("opine_intake_cases_total 15")
        }
        let prometheus = try sandbox.opine("stats", "--prometheus").stdout
        #expect(prometheus.contains("opine_cases{state=\"received\",priority=\"routine\"} 15"))
        #expect(prometheus.contains("# TYPE opine_webhook_deliveries gauge"))
        #expect(!prometheus.contains("Jane"))

        #expect(try sandbox.opine("check-config").status == 0)
        let bad = sandbox.root.appendingPathComponent("bad.toml")
        try "[paths]\nspool = \"relative\"\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try sandbox.opine("check-config", bad.path)
        #expect(refused.status == 78 && refused.stderr.contains("paths.spool"))

        #expect(sandbox.stopDaemon() == 0)
        let stopped = try sandbox.opine("status")
        #expect(stopped.status == 69 && stopped.stdout.contains("stopped"))
        try? FileManager.default.removeItem(at: metricsFile)
    }

    @Test("As root against a database the service user owns, opine reads (read-only, no root-owned files) but refuses to write or disclose",
          .enabled(if: geteuid() == 0, "only root can give the database to another user and then be refused"))
    func rootReadsOnly() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let caseID = try sandbox.addCases([BundleBuilder(submissionID: "web-root")])[0]
        #expect(sandbox.stopDaemon() == 0)
        let database = sandbox.state.appendingPathComponent("opine.sqlite3").path
        let mode = try FileManager.default.attributesOfItem(atPath: database)[.posixPermissions] as? Int
        #expect(mode == 0o660, "the opine group may use the database; others may not")
        // The whole state directory is the service user's, as on a server.
        for path in [""] + (FileManager.default.enumerator(atPath: sandbox.state.path)?.allObjects as? [String] ?? []) {
            #expect(lchown(sandbox.state.path + "/" + path, 65534, 65534) == 0)
        }
        // The write-ahead log is empty after a clean stop: without it and its index, root's first read must create
        // both, and they must belong to the database's owner.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        let before = Self.rootOwned(in: sandbox.state.path)

        // A monitoring check as root: these only read, with the database opened read-only.
        let status = try sandbox.opine("status")
        #expect(status.status == 69 && status.stdout.contains("stopped"), "stopped, not refused: \(status.stderr)")
        for command in [["stats", "--prometheus"], ["stats"], ["list", "--all"], ["deliveries"], ["endpoints"], ["verify"]] {
            let result = try sandbox.opine(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        #expect(try sandbox.opine("list", "--all").stdout.contains(caseID))
        #expect(Self.rootOwned(in: sandbox.state.path) == before, "no root-owned -wal/-shm (or any other) file appeared")
        for suffix in ["-wal", "-shm"] {
            var info = stat()
            #expect(stat(database + suffix, &info) == 0 && info.st_uid == 65534, "\(suffix) exists and belongs to the database's owner")
        }

        // The service user still opens and writes to the database after root has read it.
        let asService = try Self.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                           Sandbox.binaries.appendingPathComponent("opine").path, "note", caseID, "--text", "checked by the service user"],
                                     environment: sandbox.environment)
        #expect(asService == 0, "the service user can write after root's reads")

        // Writing, and showing patient data (a disclosure that must be audited), stay refused.
        for command in [["show", caseID], ["history", caseID], ["rejected"], ["triage", caseID, "--priority", "routine"], ["endpoints", "enable", "x"]] {
            let result = try sandbox.opine(command)
            #expect(result.status == 77 && result.stderr.contains("refusing to run as root"), "\(command): \(result.status) \(result.stderr)")
        }
    }

    /// Runs `program` to completion and returns its exit status.
    static func run(_ program: String, _ arguments: [String], environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Files under `directory` that root owns.
    static func rootOwned(in directory: String) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { path in
            var info = stat()
            return lstat(directory + "/" + path, &info) == 0 && info.st_uid == 0
        })
    }
}
