import Foundation
import GRDB
import OpineCore
import OpineTestSupport
import Testing

/// Retention with the real binaries: `opine purge` (dry run and real), tombstones, `opine verify`, holds, and what a
/// purged case still shows. Retention periods of 0 days make everything closed due at once, so no clock is faked.
@Suite("Lifecycle: purge, tombstones, holds")
struct LifecycleTests {
    static let zeroDays = [
        "OPINE_RETENTION_WITHDRAWN_CASES": "0", "OPINE_RETENTION_REJECTED_UPLOADS": "0", "OPINE_RETENTION_DELIVERY_ATTEMPTS": "0",
    ]

    static func purge(_ sandbox: Sandbox, _ extra: String...) throws -> [String: Any] {
        let result = try sandbox.opine(["purge", "--json"] + extra)
        #expect(result.status == 0, "opine purge: \(result.stderr)")
        return try result.json()
    }

    static func targets(_ output: [String: Any], _ what: String) -> [String] {
        (output["removals"] as? [[String: Any]] ?? []).filter { $0["what"] as? String == what }.compactMap { $0["target"] as? String }
    }

    @Test("--dry-run lists and changes nothing; purge removes refused uploads, withdrawn cases' files and attempts, with tombstones; verify stays green")
    func purgeEndToEnd() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        sandbox.environment.merge(Self.zeroDays) { _, new in new }
        try sandbox.startDaemon()
        let ids = try sandbox.addCases([BundleBuilder(submissionID: "web-life-1"), BundleBuilder(submissionID: "web-life-2")])
        var refused = BundleBuilder(submissionID: "web-life-bad")
        refused.manifest["version"] = 2
        try sandbox.drop(refused, as: "bad-upload")
        try waitUntil("the refused upload is quarantined") { try !sandbox.rejections().isEmpty }
        let withdrawn = try sandbox.opine(["withdraw", ids[0], "--reason", "Patient asked to withdraw."], extraEnvironment: Sandbox.admin)
        #expect(withdrawn.status == 0, "\(withdrawn.stderr)")
        try waitUntil("webhooks were attempted") { receiver.requests().count >= 3 }
        let folder = sandbox.state.appendingPathComponent("cases/\(ids[0])").path
        let quarantined = Set(CrashLoopTests.entries(sandbox.rejected))

        let dry = try Self.purge(sandbox, "--dry-run")
        #expect(dry["dry_run"] as? Bool == true)
        #expect(Self.targets(dry, "case_file") == [ids[0]], "only the withdrawn case: \(dry)")
        #expect(Set(Self.targets(dry, "rejected_upload")) == quarantined)
        #expect((dry["attempts"] as? Int ?? 0) > 0)
        #expect(FileManager.default.fileExists(atPath: folder), "a dry run removes nothing")
        #expect(Set(CrashLoopTests.entries(sandbox.rejected)) == quarantined)
        #expect(try sandbox.opine("show", ids[0], "--json").json()["purged_at"] is NSNull)

        let done = try Self.purge(sandbox)
        #expect(Self.targets(done, "case_file") == [ids[0]])
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(CrashLoopTests.entries(sandbox.rejected).isEmpty)
        let rejected = try sandbox.opine("rejected", "--json").json()["rejections"] as? [[String: Any]] ?? []
        #expect(!rejected.isEmpty && rejected.allSatisfy { $0["purged_at"] is String }, "\(rejected)")
        #expect((done["attempts"] as? Int ?? 0) > 0)
        #expect(Self.targets(try Self.purge(sandbox), "case_file").isEmpty, "a second purge finds nothing more")

        let history = try #require(try sandbox.opine("history", ids[0], "--json").json()["events"] as? [[String: Any]])
        let tombstones = history.filter { $0["type"] as? String == "purge" }
        #expect(tombstones.count == 3, "one per file (report, image) and one for the patient fields: \(tombstones)")
        #expect(try sandbox.opine("verify").status == 0, "a purged file is purged, not tampered with")

        try checkScrubbed(sandbox, purged: ids[0], kept: ids[1])
        try FileManager.default.removeItem(atPath: sandbox.state.appendingPathComponent("cases/\(ids[1])/report.pdf").path)
        let tampered = try sandbox.opine("verify")
        #expect(tampered.status == 65 && tampered.stdout.contains("\(ids[1])/report.pdf is missing"), "\(tampered.stdout)")
    }

    /// The purged case keeps its id, dates and states, and nothing of the patient; the other case is untouched.
    func checkScrubbed(_ sandbox: Sandbox, purged: String, kept: String) throws {
        let shown = try sandbox.opine("show", purged, "--json").json()
        #expect(shown["state"] as? String == "withdrawn" && shown["received_at"] is String && !(shown["purged_at"] is NSNull))
        let patient = shown["patient"] as? [String: Any] ?? [:]
        #expect(patient["name"] as? String == "" && patient["email"] is NSNull && patient["phone"] is NSNull, "\(patient)")
        #expect(shown["question"] as? String == "" && shown["withdrawn_reason"] is NSNull)
        let keptStudy = try sandbox.opine("show", kept, "--json").json()["study"] as? [String: Any]
        #expect((keptStudy?["patients"] as? [Any])?.isEmpty == false, "the images name their patient")
        #expect(((shown["study"] as? [String: Any])?["patients"] as? [Any])?.isEmpty ?? true, "the images' patient names are gone")
        #expect((shown["files"] as? [Any])?.count == 2, "the file list (paths, sizes, SHA-256) stays")
        let text = try sandbox.opine("show", purged).stdout
        for secret in BundleBuilder.patientData { #expect(!text.contains(secret), "\(secret) still shown") }
        for query in ["jane doe", "jane.doe@example.org", "+1 405 555 0100"] {
            let found = try sandbox.opine("find", query, "--json").json()["cases"] as? [[String: Any]] ?? []
            #expect(found.compactMap { $0["id"] as? String } == [kept], "\(query) finds only the kept case")
        }
        #expect(try sandbox.opine("export", purged, "--to", sandbox.root.path).status == 2)
    }

    @Test("A hold keeps a due case from the purge and shows in opine show; released, the next purge takes it")
    func holdAndRelease() throws {
        let (sandbox, ids) = try Sandbox.withCases(1, settings: Self.zeroDays)
        let id = ids[0]
        #expect(try sandbox.opine(["withdraw", id, "--reason", "Duplicate request."], extraEnvironment: Sandbox.admin).status == 0)
        let held = try sandbox.opine("hold", id, "--reason", "Records request from counsel", "--json")
        #expect(held.status == 0, "\(held.stderr)")
        #expect(try held.json()["held"] as? Bool == true)
        #expect(try sandbox.opine("hold", id, "--reason", "again").status == 3, "already held")

        #expect(Self.targets(try Self.purge(sandbox), "case_file").isEmpty)
        #expect(FileManager.default.fileExists(atPath: sandbox.state.appendingPathComponent("cases/\(id)").path))
        let hold = try sandbox.opine("show", id, "--json").json()["hold"] as? [String: Any]
        #expect(hold?["reason"] as? String == "Records request from counsel")
        #expect(try sandbox.opine("show", id).stdout.contains("Records request from counsel"))

        #expect(try sandbox.opine("release", id).status == 0)
        #expect(try sandbox.opine("release", id).status == 3, "not held any more")
        #expect(Self.targets(try Self.purge(sandbox), "case_file") == [id])
        let types = (try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
        #expect(types.contains("hold") && types.contains("release") && types.last == "purge")
        #expect(try sandbox.opine("hold", id, "--reason", "too late").status == 3, "nothing left to hold")
        #expect(try sandbox.opine("verify").status == 0)
        // A backup after a purge leaves the purged files out, and its restore verifies (tombstones included).
        let archive = sandbox.root.appendingPathComponent("after-purge.tar").path
        let backup = try sandbox.opine("backup", "--to", archive)
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        let restored = try sandbox.opine("restore", "--from", archive, "--to", sandbox.root.appendingPathComponent("restored").path, "--json")
        #expect(restored.status == 0 && (try? restored.json()["intact"] as? Bool) == true, "\(restored.stdout)\(restored.stderr)")
    }

    @Test("Responded cases are kept by default; open cases are never purged")
    func keptByDefault() throws {
        let (sandbox, ids) = try Sandbox.withCases(1, settings: Self.zeroDays)
        let output = try Self.purge(sandbox)
        #expect(Self.targets(output, "case_file").isEmpty)
        #expect(FileManager.default.fileExists(atPath: sandbox.state.appendingPathComponent("cases/\(ids[0])").path))
        let orphaned = try sandbox.opine("orphaned", "--json").json()
        #expect(orphaned["folders"] as? [Any] != nil && orphaned["retention_days"] is NSNull)
    }

    @Test("Killed between the tombstone and the removal: verify accepts the tombstoned file still there, the next purge removes it")
    func crashBetweenTombstoneAndRemoval() throws {
        let (sandbox, ids) = try Sandbox.withCases(1, settings: Self.zeroDays)
        let id = ids[0]
        #expect(try sandbox.opine(["withdraw", id, "--reason", "Duplicate request."], extraEnvironment: Sandbox.admin).status == 0)
        // What a purge killed right after its transaction leaves: tombstones and scrub committed, files still there.
        var policy = RetentionPolicy()
        policy.withdrawnCases = .after(0)
        #expect(try sandbox.store().tombstoneCase(id, policy: policy, now: Date(), actor: "test"))
        let folder = sandbox.state.appendingPathComponent("cases/\(id)").path
        #expect(FileManager.default.fileExists(atPath: folder))
        #expect(try sandbox.opine("verify").status == 0, "a tombstoned file still on disk is not a problem")
        let shown = try sandbox.opine("show", id, "--json").json()
        #expect(shown["purged_at"] is String && shown["files_removed_at"] is NSNull, "scrubbed, files not removed yet: \(shown)")
        #expect(try sandbox.opine("show", id).stdout.contains("not removed yet"))
        let output = try Self.purge(sandbox)
        #expect(output["finished"] as? [String] == ["case \(id)"])
        #expect(Self.targets(output, "case_file").isEmpty, "no second tombstone")
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(try sandbox.opine("show", id, "--json").json()["files_removed_at"] is String)
        #expect(try sandbox.opine("verify").status == 0)
    }

    @Test("Set-aside folders: listed by opine orphaned, removed with a tombstone once retention.orphaned_folders has passed")
    func orphanedFolders() throws {
        let sandbox = try Sandbox(["OPINE_RETENTION_ORPHANED_FOLDERS": "0"])
        try sandbox.startDaemon()
        let folder = sandbox.state.appendingPathComponent("orphaned/C-20260101-0001")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("left by a crash".utf8).write(to: folder.appendingPathComponent("report.pdf"))
        let listed = try sandbox.opine("orphaned", "--json").json()
        let folders = listed["folders"] as? [[String: Any]] ?? []
        #expect(folders.count == 1 && folders.first?["name"] as? String == "C-20260101-0001" && folders.first?["files"] as? Int == 1)
        #expect(listed["retention_days"] as? Double == 0 && folders.first?["purge_at"] is String)
        #expect(Self.targets(try Self.purge(sandbox), "orphaned_folder") == ["C-20260101-0001"])
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        let events = try sandbox.store().pool.read { db in
            try String.fetchAll(db, sql: "SELECT detail FROM events WHERE type = 'purge'")
        }
        #expect(events.count == 1 && events[0].contains("\"folder\":\"\(UploadDigest.of("C-20260101-0001"))\"") && events[0].contains("\"sha256\""))
        #expect(!events[0].contains("C-20260101-0001"), "the tombstone names the folder by digest")
        #expect(try sandbox.opine("verify").status == 0)
    }

    @Test("An opine group member may dry-run the purge, but the purge itself is refused (77) before any tombstone: only the service user can remove the files")
    func purgeRefusedToGroupMember() throws {
        let (sandbox, ids) = try Sandbox.withCases(1, settings: Self.zeroDays)
        #expect(try sandbox.opine(["withdraw", ids[0], "--reason", "Duplicate request."], extraEnvironment: Sandbox.admin).status == 0)
        // uid 65534 in the files' group (gid 0 here, `opine` on a server): it may read and write the database, and
        // read, not unlink, in cases/ (0750).
        func asMember(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
            let process = Process(), errors = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=0", "--clear-groups", Sandbox.binaries.appendingPathComponent("opine").path] + arguments
            process.environment = sandbox.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let dry = try asMember(["purge", "--dry-run"])
        #expect(dry.status == 0, "anyone in the group may see what would go: \(dry.stderr)")
        let refused = try asMember(["purge"])
        #expect(refused.status == 77 && refused.stderr.contains("sudo -u root opine purge"), "\(refused.stderr)")
        let tombstones = try sandbox.store().pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events WHERE type = 'purge'") }
        #expect(tombstones == 0, "nothing was tombstoned or scrubbed")
        #expect(try sandbox.opine("show", ids[0], "--json").json()["purged_at"] is NSNull)
        let owner = try sandbox.opine("purge")
        #expect(owner.status == 0 && owner.stdout.contains(ids[0]), "the owner purges: \(owner.stdout) \(owner.stderr)")
    }
}
