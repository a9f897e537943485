import Foundation
import GRDB
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// The crash-consistency harness: the real opined, a loopback webhook receiver, a stream of valid, re-sent and
/// invalid bundles (directories and zips, small and multi-megabyte), and SIGKILL at random moments, over and over.
/// `OPINE_CRASH_KILLS` sets the number of kills (20 in the normal suite; `make crash-test` runs 200) and
/// `OPINE_CRASH_SEED` replays a run. The checks at the end are the promise: nothing lost, nothing half-done.
@Suite("Crash loop: SIGKILL at random moments")
struct CrashLoopTests {
    static let environment = ProcessInfo.processInfo.environment
    static let kills = Int(environment["OPINE_CRASH_KILLS"] ?? "") ?? 20
    static let seed = UInt64(environment["OPINE_CRASH_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64(UInt32.max))

    /// SplitMix64: a small seeded generator, so a failing run can be replayed exactly.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// One upload dropped during the run and what it must end as.
    struct Dropped {
        var name: String
        var submissionID: String
        /// nil for a valid bundle (it must be a case exactly once); otherwise the rejection it must get.
        var rejection: Rejection.Code? = nil
        /// For a re-send with new information: the submission whose case it must update, exactly once.
        var updates: String? = nil
        /// For a supplement: the submission whose case must hold its file, exactly once.
        var supplements: String? = nil
        /// For a supplement: how many files it adds.
        var files = 0
    }

    /// Builds and drops uploads of every kind the harness mixes.
    struct Stream {
        let sandbox: Sandbox
        let work: URL
        var random: Random
        var dropped: [Dropped] = []
        var valid: [BundleBuilder] = []

        mutating func dropOne() throws {
            let index = dropped.count + 1
            let roll = Int.random(in: 0..<100, using: &random)
            let name = String(format: "u%04d", index)
            var builder = BundleBuilder(submissionID: "web-crash-\(Self.runTag)-\(index)", symptoms: roll % 17 == 0 ? ["bowel_bladder_dysfunction"] : ["sciatica"])
            var asZip = roll % 2 == 0
            var expected: Rejection.Code?
            switch roll {
            case 0..<45: break
            case 45..<60:
                // Multi-megabyte: a long copy is the widest window for a kill.
                builder.files.append(("MRI/IM000002", Samples.dicom("big-\(index)", size: (2 + roll % 3) << 20), "imaging", "application/dicom"))
            case 60..<68 where !valid.isEmpty:
                // The same bundle sent again under another name: a duplicate, never a second case.
                builder = valid[Int.random(in: 0..<valid.count, using: &random)]
                asZip = !asZip
            case 68..<75 where !valid.isEmpty:
                // The same files under a new submission id with a new symptom: an update of that case, exactly once.
                let original = valid[Int.random(in: 0..<valid.count, using: &random)]
                var again = original
                again.manifest["submission_id"] = builder.submissionID
                again.edit("request") { $0["symptoms"] = ["sciatica", "night_sweats"] }
                try drop(again, as: name, zip: asZip, Dropped(name: "", submissionID: again.submissionID, updates: original.submissionID))
                return
            case 75..<82 where !valid.isEmpty:
                // A supplement: one to three more files for an earlier submission, under names its case already uses,
                // so a kill can land between their renames into the case folder.
                let original = valid[Int.random(in: 0..<valid.count, using: &random)]
                let supplement = Self.supplement(of: original, as: builder.submissionID, index: index, files: Int.random(in: 1...3, using: &random))
                try drop(supplement, as: name, zip: asZip, Dropped(
                    name: "", submissionID: supplement.submissionID, supplements: original.submissionID, files: supplement.files.count))
                return
            case 82..<88:
                builder.manifest["version"] = 2
                expected = .unsupportedVersion
            default:
                // One byte changed after the manifest was written: same size, different content.
                builder.manifest["files"] = builder.listedFiles()
                builder.files[0].data[12] ^= 0x20
                expected = .checksumMismatch
            }
            if expected == nil && !valid.contains(where: { $0.submissionID == builder.submissionID }) {
                valid.append(builder)
            }
            let upload = asZip ? name + ".zip" : name
            let file = asZip
                ? try builder.writeZip(in: work, name: upload, deflate: builder.files.count < 3)
                : try builder.writeDirectory(in: work, name: upload)
            try sandbox.dropRenamed(file, as: upload)
            dropped.append(Dropped(name: upload, submissionID: builder.submissionID, rejection: expected))
        }

        /// One to three more files for `original`, as a supplement under `submissionID`.
        static func supplement(of original: BundleBuilder, as submissionID: String, index: Int, files: Int) -> BundleBuilder {
            var supplement = BundleBuilder(submissionID: submissionID)
            supplement.files = Array([
                ("MRI/IM000001", Samples.dicom("supplement-\(index)"), "imaging", "application/dicom"),
                ("report.pdf", Samples.pdf, "radiology_report", "application/pdf"),
                ("MRI/IM000002", Samples.dicom("supplement-\(index)-2", size: 1 << 20), "imaging", "application/dicom"),
            ].prefix(files))
            supplement.manifest["supplements"] = original.submissionID
            for key in ["patient", "consent", "request"] { supplement.manifest[key] = nil }
            return supplement
        }

        /// Drops `bundle` as `name` (a zip when `zip`), expecting what `expected` says of it.
        mutating func drop(_ bundle: BundleBuilder, as name: String, zip: Bool, _ expected: Dropped) throws {
            let upload = name + (zip ? ".zip" : "")
            let file = zip ? try bundle.writeZip(in: work, name: upload) : try bundle.writeDirectory(in: work, name: upload)
            try sandbox.dropRenamed(file, as: upload)
            var expected = expected
            expected.name = upload
            dropped.append(expected)
        }

        static let runTag = String(UUID().uuidString.prefix(6)).lowercased()
    }

    static func entries(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }
    }

    @Test("Every upload ends exactly once as a case or a rejection, every event reaches its endpoint, the store verifies")
    func crashLoop() throws {
        print("crash loop: \(Self.kills) kills, seed \(Self.seed) (OPINE_CRASH_SEED=\(Self.seed) replays it)")
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        sandbox.environment.merge(Self.purgeSettings) { _, new in new }
        var stream = Stream(sandbox: sandbox, work: try sandbox.workFolder(), random: Random(state: Self.seed))
        let moments = try killAtRandomMoments(sandbox, &stream)

        // Let it finish: every upload taken, every webhook delivered, then a clean stop and one more start, whose
        // reconciliation removes set-aside copies now proven to be stored.
        try sandbox.startDaemon()
        do {
            try waitUntil("the drop directory is empty", seconds: 120) { Self.entries(sandbox.drop).isEmpty }
        } catch {
            Issue.record("still waiting: \(Self.entries(sandbox.drop)); the log ends:\n\(sandbox.log.split(separator: "\n").suffix(30).joined(separator: "\n"))")
            throw error
        }
        let database = try DatabaseQueue(path: sandbox.state.appendingPathComponent("opine.sqlite3").path)
        try waitUntil("every webhook is delivered", seconds: 120) {
            try database.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE webhook_id IS NULL") == 0
                    && Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries WHERE state <> 'delivered'") == 0
            }
        }
        #expect(sandbox.stopDaemon() == 0)
        try sandbox.startDaemon()
        #expect(sandbox.stopDaemon() == 0)
        // The last purge finishes what a killed one had tombstoned but not removed.
        let purge = try sandbox.opine("purge", "--json")
        #expect(purge.status == 0, "opine purge: \(purge.stdout)\(purge.stderr)")
        print("crash loop purge: the last purge finished \((try? purge.json()["finished"] as? [String])??.count ?? 0) removals a kill cut short")

        try checkEveryUploadAccountedFor(stream.dropped, database: database, sandbox: sandbox)
        try checkNothingHalfDone(database: database, sandbox: sandbox)
        try checkCaseFolders(database: database, sandbox: sandbox)
        try checkWebhooks(database: database, receiver: receiver)
        try checkPurged(database: database, sandbox: sandbox)
        let verify = try sandbox.opine("verify")
        #expect(verify.status == 0, "opine verify: \(verify.stdout)\(verify.stderr)")
        try printSummary(moments: moments, uploads: stream.dropped.count, database: database, receiver: receiver)
    }

    /// Starts opined `kills` times, drops one to three uploads each time and kills it with SIGKILL at a moment the
    /// seed picks: anywhere (start-up included), in the middle of a copy, or right after a commit. Returns how often
    /// each kind of moment was chosen.
    func killAtRandomMoments(_ sandbox: Sandbox, _ stream: inout Stream) throws -> [String: Int] {
        let staging = sandbox.state.appendingPathComponent("staging"), cases = sandbox.state.appendingPathComponent("cases")
        var moments: [String: Int] = [:]
        for _ in 1...Self.kills {
            // Not waiting for readiness: a kill during start-up (migrations, repairs) is one of the moments tested.
            try sandbox.startDaemon(waitUntilReady: false)
            for _ in 0..<Int.random(in: 1...6, using: &stream.random) { try stream.dropOne() }
            if Int.random(in: 0..<3, using: &stream.random) == 0 { try askForInformation(sandbox, &stream) }
            if Int.random(in: 0..<3, using: &stream.random) == 0 { try purgePass(sandbox, &stream) }
            // The kill moment is chosen, not waited for: each poll below gives up after a second and kills anyway.
            switch Int.random(in: 0..<3, using: &stream.random) {
            case 0:
                moments["random", default: 0] += 1
                usleep(UInt32.random(in: 0...400_000, using: &stream.random))
            case 1:
                moments["during a copy", default: 0] += 1
                let deadline = Date().addingTimeInterval(1)
                while Self.entries(staging).isEmpty && Date() < deadline { usleep(1_000) }
                usleep(UInt32.random(in: 0...20_000, using: &stream.random))
            default:
                moments["after a commit", default: 0] += 1
                let before = Self.entries(cases).count, deadline = Date().addingTimeInterval(1)
                while Self.entries(cases).count == before && Date() < deadline { usleep(500) }
            }
            sandbox.stopDaemon(signal: SIGKILL)
        }
        return moments
    }

    /// A coordinator asks the patient of a random received or triaged case for something, with the real opine,
    /// while the daemon may be dying; a supplement dropped later (or never) answers it.
    func askForInformation(_ sandbox: Sandbox, _ stream: inout Stream) throws {
        guard FileManager.default.fileExists(atPath: sandbox.state.appendingPathComponent("opine.sqlite3").path),
              let cases = try? sandbox.opine("list", "--state", "received", "--state", "triaged", "--json").json()["cases"] as? [[String: Any]],
              !cases.isEmpty else { return }
        let id = cases[Int.random(in: 0..<cases.count, using: &stream.random)]["id"] as? String ?? ""
        let asked = try sandbox.opine(["request-info", id, "--message", "Please send the report."], extraEnvironment: Sandbox.admin)
        // Exit 3 only if the case moved (or its daemon-side update landed) between the list and the request.
        #expect(asked.status == 0 || asked.status == 3, "request-info: \(asked.stderr)")
    }

    /// One line saying what the run did, with the seed that replays it.
    func printSummary(moments: [String: Int], uploads: Int, database: DatabaseQueue, receiver: Receiver) throws {
        let repairs = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT json_extract(detail, '$.repair') AS kind, count(*) AS n FROM events WHERE type = 'repair' GROUP BY kind")
                .map { "\($0["kind"] as String? ?? "?") \($0["n"] as Int? ?? 0)" }
        }
        let counts = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM cases") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE code <> 'duplicate'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE code = 'duplicate'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM case_updates") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM case_updates WHERE kind = 'supplement'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM information_requests") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM information_requests WHERE answered_at IS NOT NULL") ?? 0)
        }
        let requests = receiver.requests()
        print("""
            crash loop result: seed \(Self.seed), \(Self.kills) kills (\(moments.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))); \
            \(uploads) uploads → \(counts.0) cases, \(counts.1) quarantined, \(counts.2) duplicates removed, \(counts.3) updates merged (\(counts.4) supplements); \
            \(counts.5) information requests (\(counts.6) answered); \
            \(requests.count) webhook requests for \(Set(requests.map(\.id)).count) events; repairs: \(repairs.isEmpty ? "none" : repairs.joined(separator: ", "))
            """)
    }

    /// Each valid submission (with its re-sends) is exactly one case; every other upload of it was a duplicate or
    /// merged exactly once; each invalid upload was quarantined exactly once with its reason.
    func checkEveryUploadAccountedFor(_ dropped: [Dropped], database: DatabaseQueue, sandbox: Sandbox) throws {
        try database.read { db in
            // A re-send with new information and the bundle it re-sends are one family: whichever was taken first is
            // the case (the re-send ranks higher, being urgent), and every other submission of the family is merged
            // into it exactly once.
            let valid = dropped.filter { $0.rejection == nil && $0.supplements == nil }
            let families = Dictionary(grouping: valid, by: { $0.updates ?? $0.submissionID })
            try checkSupplements(dropped, families: families, db)
            for (original, uploads) in families {
                let submissions = Array(Set(uploads.map(\.submissionID)))
                let marks = submissions.map { _ in "?" }.joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT id, submission_id FROM cases WHERE submission_id IN (\(marks))", arguments: StatementArguments(submissions))
                #expect(rows.count == 1, "\(original) and its re-sends are \(rows.count) cases")
                guard let row = rows.first else { continue }
                let id: String = row["id"], caseSubmission: String = row["submission_id"]
                for submission in submissions where submission != caseSubmission {
                    let merged = try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM case_updates WHERE case_id = ? AND submission_id = ?", arguments: [id, submission])
                    #expect(merged == 1, "\(submission) was merged into \(id) \(merged ?? 0) times")
                }
                let sameSubmission = uploads.filter { $0.submissionID == caseSubmission }
                // A purged row keeps only its name's digest.
                let names = sameSubmission.flatMap { [$0.name, UploadDigest.of($0.name)] }
                let duplicates = try Int.fetchOne(
                    db, sql: "SELECT count(DISTINCT upload_name) FROM rejections WHERE code = 'duplicate' AND duplicate_of = ? AND upload_name IN (\(names.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments([id] + names)) ?? 0
                #expect(duplicates >= sameSubmission.count - 1, "\(caseSubmission): \(sameSubmission.count) uploads but only \(duplicates) recorded as duplicates")
                let intake = try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE case_id = ? AND type = 'intake'", arguments: [id])
                #expect(intake == 1, "\(id): \(intake ?? 0) intake events")
            }
            for upload in dropped where upload.rejection != nil {
                let named: StatementArguments = [upload.name, UploadDigest.of(upload.name)]
                let rows = try Row.fetchAll(db, sql: "SELECT code, quarantine, purged_at FROM rejections WHERE upload_name IN (?, ?)", arguments: named)
                #expect(rows.count == 1 && rows.first?["code"] == upload.rejection?.rawValue, "\(upload.name): \(rows)")
                let purged = rows.first.map { ($0["purged_at"] as String?) != nil } ?? false
                if purged {
                    // Refused uploads are kept 0 days in this run: checkPurged checks the tombstone.
                } else if let folder = rows.first?["quarantine"] as String? {
                    let path = sandbox.rejected.appendingPathComponent(folder)
                    #expect(Set(Self.entries(path)) == ["reason.json", upload.name.hasSuffix(".zip") ? "upload.zip" : "upload"], "\(upload.name) in \(folder)")
                } else {
                    Issue.record("\(upload.name) has no quarantine folder")
                }
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE submission_id = ?", arguments: [upload.submissionID]) == 0)
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases") == families.count,
                    "no case that was not dropped")
        }
    }

    /// Nothing waits in staging, every store folder has its case, quarantine folders are all recorded, set-aside
    /// copies were removed once proven stored, the database is intact, and every rejection is in the audit trail.
    func checkNothingHalfDone(database: DatabaseQueue, sandbox: Sandbox) throws {
        #expect(Self.entries(sandbox.drop).isEmpty)
        #expect(Self.entries(sandbox.state.appendingPathComponent("staging")).isEmpty, "staging is empty")
        #expect(Self.entries(sandbox.state.appendingPathComponent("orphaned")).isEmpty, "every set-aside copy was proven stored and removed")
        try database.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            let ids = Set(try String.fetchAll(db, sql: "SELECT id FROM cases WHERE purged_at IS NULL"))
            #expect(Set(Self.entries(sandbox.state.appendingPathComponent("cases"))) == ids, "store folders are exactly the unpurged cases")
            let quarantines = Set(try String.fetchAll(db, sql: "SELECT quarantine FROM rejections WHERE quarantine IS NOT NULL AND purged_at IS NULL"))
            #expect(Set(Self.entries(sandbox.rejected)) == quarantines, "quarantine folders are exactly the recorded rejections")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type = 'rejection'")
                    == Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE code <> 'duplicate'"))
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type IN ('update', 'files.added', 'follow_up_question')")
                    == Int.fetchOne(db, sql: "SELECT count(*) FROM case_updates"), "every update and supplement is in the audit trail")
            try checkWaiting(db)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type = 'duplicate'")
                    == Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE code = 'duplicate'"))
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE id NOT IN (SELECT case_id FROM outbox WHERE type = 'case.received')") == 0,
                    "every case announced")
            let counted = try Row.fetchAll(db, sql: "SELECT state, priority_rank, n FROM case_counts WHERE n > 0 ORDER BY 1, 2").map { "\($0)" }
            let actual = try Row.fetchAll(db, sql: "SELECT state, priority_rank, COUNT(*) AS n FROM cases GROUP BY 1, 2 ORDER BY 1, 2").map { "\($0)" }
            #expect(counted == actual, "the counts opine stats reads agree with the cases")
        }
    }

    /// Every event reached the receiver at least once, always under the same webhook-id and with the same body.
    func checkWebhooks(database: DatabaseQueue, receiver: Receiver) throws {
        let events = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT webhook_id, type, case_id FROM outbox")
        }
        var bodies: [String: Set<String>] = [:]
        for request in receiver.requests() { bodies[request.id, default: []].insert(request.body) }
        for event in events {
            let id: String = event["webhook_id"] ?? ""
            let received = bodies[id] ?? []
            #expect(received.count == 1, "\(event["type"] as String? ?? "") of \(event["case_id"] as String? ?? "-") (\(id)) arrived with \(received.count) different bodies")
        }
        #expect(Set(bodies.keys) == Set(events.map { $0["webhook_id"] as String? ?? "" }), "only known events arrived")
    }
}
