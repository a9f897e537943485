import Foundation
import GRDB
import OpineCore
import OpineTestSupport
import Testing

@Suite("Backup and restore: one archive taken while opined works, restored into an empty folder, and opined carries on")
struct BackupRestoreTests {
    @Test("A backup taken during intake and delivery restores, verifies, and the restored opined takes new uploads and sends what was pending")
    func backupWhileWorkingThenCarryOn() throws {
        let receiver = try Receiver()
        try receiver.setSwitch("gate", down: true)
        let sandbox = try Sandbox(
            receiver: receiver, retrySchedule: "[" + Array(repeating: "\"1s\"", count: 30).joined(separator: ",") + "]",
            endpoints: receiver.endpoint("slow", path: "/delay") + receiver.endpoint("gate", path: "/switch/gate"))
        try sandbox.startDaemon()
        let before = try sandbox.addCases((0..<3).map { BundleBuilder(submissionID: "web-before-\($0)") })
        let refused = try BundleBuilder(submissionID: "web-refused").writeDirectory(
            in: try sandbox.workFolder(), name: "refused", manifestData: Data("not json".utf8))
        try sandbox.dropRenamed(refused, as: "refused")
        try waitUntil("the broken upload is quarantined") { try sandbox.rejections().count == 1 }
        let (archive, backedUp) = try Self.backUpWhileBusy(sandbox)
        #expect(receiver.requests("/switch/gate").allSatisfy { $0.status == 503 }, "nothing reached the gate yet")

        let target = sandbox.root.appendingPathComponent("restored")
        let report = try Self.restore(sandbox, archive, into: target, cases: backedUp)
        // opined on the restored tree: the old cases are there, pending webhooks go out, new uploads become cases.
        sandbox.environment.merge(try #require(report["environment"] as? [String: String])) { _, new in new }
        let backupHead = try #require(report["backup_audit_head"] as? String)
        #expect(try sandbox.opine("verify", "--head", backupHead).status == 0)
        try receiver.setSwitch("gate", down: false)
        try sandbox.startDaemon()
        let restoredIDs = Set(try sandbox.cases().compactMap { $0["id"] as? String })
        #expect(Set(before).isSubset(of: restoredIDs) && restoredIDs.count == backedUp)
        try waitUntil("every restored case's case.received reached the gate", seconds: 30) {
            let delivered = Set(receiver.requests("/switch/gate").filter { $0.status == 200 && $0.type == "case.received" }.compactMap(\.caseID))
            return restoredIDs.isSubset(of: delivered)
        }
        let drop = target.appendingPathComponent("spool/drop")
        for index in 0..<2 {
            let bundle = try BundleBuilder(submissionID: "web-after-\(index)").writeDirectory(in: try sandbox.workFolder(), name: "after-\(index)")
            try FileManager.default.moveItem(at: bundle, to: drop.appendingPathComponent("after-\(index)"))
        }
        try waitUntil("the new uploads are cases on the restored tree") { try sandbox.cases().count == backedUp + 2 }
        #expect(try sandbox.rejections().count == 1)
        #expect(!sandbox.log.contains("set aside"), "the restored folders match the restored database")
        #expect(sandbox.stopDaemon() == 0)
        let verify = try sandbox.opine("verify", "--head", backupHead, "--json")
        let intact = try verify.json()["intact"] as? Bool
        #expect(verify.status == 0 && intact == true, "\(verify.stdout)")
    }

    /// Drops uploads and backs up without waiting for them, then stops opined once all are cases; returns the archive
    /// and how many cases it holds.
    static func backUpWhileBusy(_ sandbox: Sandbox) throws -> (String, Int) {
        for index in 0..<6 { try sandbox.drop(BundleBuilder(submissionID: "web-during-\(index)")) }
        let archive = sandbox.root.appendingPathComponent("opine.backup").path
        let backup = try sandbox.opine("backup", "--to", archive, "--json")
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        let written = try backup.json()
        let backedUp = try #require(written["cases"] as? Int)
        #expect(backedUp >= 3 && written["rejected_folders"] as? Int == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
        #expect(mode == 0o600, "a backup holds patient data")
        #expect(!FileManager.default.fileExists(atPath: archive + ".part"))
        #expect(try sandbox.opine("backup", "--to", archive).status == 64, "never overwrites")
        try waitUntil("all nine are cases") { try sandbox.cases().count == 9 }
        #expect(sandbox.stopDaemon() == 0)
        // Any tar lists it; the members are where restore puts them.
        let listing = try Self.run("/bin/tar", ["-tf", archive])
        #expect(listing.contains("state/opine.sqlite3") && listing.contains("manifest.json") && listing.contains("opine.toml"))
        #expect(listing.contains("spool/rejected/"))
        return (archive, backedUp)
    }

    /// Restores into `target` and checks the report; a second restore into it is refused.
    static func restore(_ sandbox: Sandbox, _ archive: String, into target: URL, cases: Int) throws -> [String: Any] {
        let restored = try sandbox.opine("restore", "--from", archive, "--to", target.path, "--json")
        let report = try restored.json()
        #expect(restored.status == 0 && report["intact"] as? Bool == true, "\(restored.stdout)\(restored.stderr)")
        #expect(report["cases"] as? Int == cases)
        let environment = try #require(report["environment"] as? [String: String])
        #expect(environment["OPINE_PATHS_STATE"] == target.path + "/state" && environment["OPINE_CONFIG"] == target.path + "/opine.toml")
        let again = try sandbox.opine("restore", "--from", archive, "--to", target.path)
        #expect(again.status == 64 && again.stderr.contains("not empty"))
        return report
    }

    @Test("restore refuses a damaged archive, naming the member, and leaves nothing behind")
    func damagedArchiveIsRefused() throws {
        let (sandbox, _) = try Sandbox.withCases(2)
        let archive = sandbox.root.appendingPathComponent("opine.backup").path
        #expect(try sandbox.opine("backup", "--to", archive).status == 0)
        #expect(sandbox.stopDaemon() == 0)
        // Flip one byte inside the database member's data (just past its header).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        let header = try #require(bytes.range(of: Data("state/opine.sqlite3".utf8)))
        bytes[header.lowerBound + 512 + 100] ^= 0xFF
        let damaged = sandbox.root.appendingPathComponent("damaged.backup")
        try bytes.write(to: damaged)
        let target = sandbox.root.appendingPathComponent("restored")
        let result = try sandbox.opine("restore", "--from", damaged.path, "--to", target.path)
        #expect(result.status == 65 && result.stderr.contains("state/opine.sqlite3"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.path), "nothing is left behind")
    }

    @Test("a backup is audited as one access event with no case, after the archive is complete; a refused one is not")
    func backupIsAudited() throws {
        let (sandbox, _) = try Sandbox.withCases(2)
        let archive = sandbox.root.appendingPathComponent("opine.backup").path
        let backup = try sandbox.opine("backup", "--to", archive, "--json")
        #expect(backup.status == 0, "\(backup.stderr)")
        let written = try backup.json()
        #expect(try sandbox.opine("backup", "--to", archive).status == 64, "refused: FILE exists")
        let access = try sandbox.store().pool.read { db in
            try Row.fetchAll(db, sql: "SELECT case_id, actor, detail FROM events WHERE type = 'access'")
        }
        try #require(access.count == 1, "one event for the one archive written: \(access)")
        let detail = try #require(try JSONSerialization.jsonObject(with: Data((access[0]["detail"] as String).utf8)) as? [String: String])
        #expect(access[0]["case_id"] as String? == nil && !(access[0]["actor"] as String).isEmpty)
        #expect(detail["what"] == "backup" && detail["file"] == "opine.backup", "\(detail)")
        #expect(detail["manifest_sha256"] == written["manifest_sha256"] as? String && detail["cases"] == "2")
        #expect(detail["files"] == String(try #require(written["files"] as? Int)))
        #expect(try sandbox.opine("verify", "--skip-files").status == 0, "the event is on the chain")
        #expect(sandbox.stopDaemon() == 0)
        // The snapshot came first: the archive holds the cases, not the event recording it.
        let target = sandbox.root.appendingPathComponent("restored")
        #expect(try sandbox.opine("restore", "--from", archive, "--to", target.path).status == 0)
        let restored = try DatabaseQueue(path: target.appendingPathComponent("state/opine.sqlite3").path)
        #expect(try restored.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM events WHERE type = 'access'") } == 0)
    }

    @Test("links and FIFOs in a quarantined upload are left out of the backup and named; what they point at is never read")
    func quarantinedSpecialFilesSkipped() throws {
        let (sandbox, _) = try Sandbox.withCases(1)
        let folder = try BundleBuilder(submissionID: "web-links").writeDirectory(in: try sandbox.workFolder(), name: "links")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("MRI"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("MRI/evil").path, withDestinationPath: "/etc/passwd")
        #expect(mkfifo(folder.appendingPathComponent("MRI/pipe").path, 0o600) == 0)
        try sandbox.dropRenamed(folder, as: "links")
        try waitUntil("the upload is quarantined") { try sandbox.rejections().count == 1 }
        let archive = sandbox.root.appendingPathComponent("opine.backup").path
        let backup = try sandbox.opine("backup", "--to", archive, "--json")
        let skipped = try #require(try backup.json()["skipped"] as? [String])
        #expect(backup.status == 0 && skipped.count == 2 && skipped.allSatisfy { $0.hasSuffix("MRI/evil") || $0.hasSuffix("MRI/pipe") }, "\(skipped)")
        #expect(sandbox.stopDaemon() == 0)
        #expect(!(try Data(contentsOf: URL(fileURLWithPath: archive))).contains(try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd"))))
        let target = sandbox.root.appendingPathComponent("restored")
        #expect(try sandbox.opine("restore", "--from", archive, "--to", target.path).status == 0)
        let restored = try #require(FileManager.default.enumerator(atPath: target.appendingPathComponent("spool/rejected").path)?.allObjects as? [String])
        #expect(restored.contains { $0.hasSuffix("reason.json") } && !restored.contains { $0.hasSuffix("evil") || $0.hasSuffix("pipe") })
    }

    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
