import Foundation
@testable import OpineCore
@testable import OpineIntake
@testable import OpineStore
import Testing

/// The monitoring decisions without a daemon: `opine status`'s verdict, a delivery's hold, how a log names an
/// upload, and the Prometheus text.
@Suite("Monitoring decisions: status verdicts, held deliveries, upload digests, Prometheus text")
struct MonitoringDecisionTests {
    static let now = "2026-12-01T10:00:00.000Z"

    static func beat(healthy: Bool = true, blocked: Bool = false) -> DaemonHeartbeat {
        DaemonHeartbeat(
            pid: 42, version: "0.1.0", startedAt: now, at: now, healthy: healthy, loops: ["intake": healthy ? 0.1 : 70],
            intakeBlocked: blocked ? .init(message: "write: No space left on device", diskFull: true, since: now) : nil)
    }

    static func health(
        _ heartbeat: DaemonHeartbeat?, age: Double? = 1, free: Int64 = 1 << 40, endpoints: [EndpointHealth] = [], dead: Int = 0
    ) -> DaemonHealth {
        DaemonHealth(
            heartbeat: heartbeat, age: age, heartbeatPath: "/var/lib/opine/opined.heartbeat",
            fileSystems: [.init(name: .spool, path: "/var/spool/opine", freeBytes: free)], endpoints: endpoints, deadDeliveries: dead)
    }

    static func endpoint(_ name: String, _ change: (inout EndpointHealth) -> Void) -> EndpointHealth {
        var health = EndpointHealth(name: name)
        change(&health)
        return health
    }

    @Test("Healthy, warning (a disabled or paused endpoint, dead deliveries), unhealthy and stopped")
    func verdicts() {
        #expect(Self.health(Self.beat()).state == .healthy)
        let disabled = Self.endpoint("crm") { $0.disable(at: 0, reason: "answered 410 Gone") }
        let paused = Self.endpoint("desk") { $0.pausedUntil = 10 }
        let failing = Self.endpoint("ehr") { $0.failingSince = 1 }
        let warned = Self.health(Self.beat(), endpoints: [paused, disabled, failing], dead: 2)
        #expect(warned.state == .warning && warned.problems.isEmpty)
        #expect(warned.warnings.map(\.code) == [.endpointDisabled, .endpointPaused, .deadDeliveries])
        #expect(warned.warnings[0].message.contains("opine endpoints enable crm"))
        // A problem outranks a warning; the warnings are still reported.
        let both = Self.health(Self.beat(blocked: true), endpoints: [disabled])
        #expect(both.state == .unhealthy && both.problems.count == 1 && both.warnings.count == 1)
        #expect(Self.health(Self.beat(), age: 11).state == .unhealthy)
        #expect(Self.health(Self.beat(healthy: false)).problems.first?.contains("stalled (intake)") == true)
        #expect(Self.health(Self.beat(), free: 10 << 20).problems.first?.contains("10 MiB free") == true)
    }

    @Test("A heartbeat marked stopped, or none, is stopped at once, whatever its age")
    func stopped() throws {
        let last = Self.beat(blocked: true).stopped(at: "2026-12-01T10:00:05.000Z")
        #expect(last.stoppedAt == "2026-12-01T10:00:05.000Z" && last.intakeBlocked == nil && !last.healthy)
        let stopped = Self.health(last, age: 0.5)
        #expect(stopped.state == .stopped && stopped.problems == ["opined is stopped (it stopped cleanly at 2026-12-01T10:00:05.000Z)"])
        #expect(Self.health(nil, age: nil).problems.first?.contains("not running (no heartbeat") == true)
        // The field is additive: a heartbeat written before it decodes, as running.
        let old = #"{"pid":1,"version":"0.1.0","started_at":"x","at":"x","healthy":true,"loops":{}}"#
        #expect(try JSONDecoder().decode(DaemonHeartbeat.self, from: Data(old.utf8)).stoppedAt == nil)
    }

    @Test("Only an open delivery to a disabled or paused endpoint is held")
    func holds() {
        let disabled = Self.endpoint("crm") { $0.disable(at: 0, reason: "answered 410 Gone") }
        let paused = Self.endpoint("crm") { $0.pausedUntil = 10 }
        #expect(DeliveryHold.of(state: .pending, endpoint: disabled) == .endpointDisabled)
        #expect(DeliveryHold.of(state: .failed, endpoint: paused) == .endpointPaused)
        #expect(DeliveryHold.of(state: .dead, endpoint: disabled) == nil)
        #expect(DeliveryHold.of(state: .delivered, endpoint: disabled) == nil)
        #expect(DeliveryHold.of(state: .pending, endpoint: nil) == nil)
        #expect(DeliveryHold.of(state: .pending, endpoint: Self.endpoint("crm") { $0.failingSince = 1 }) == nil)
    }

    @Test("An upload is logged by 12 hex digits of its name's SHA-256; paths are cut at the upload")
    func uploadDigests() {
        let name = "Jane Doe DOB 1968-04-02 MRI.pdf"
        // printf 'Jane Doe DOB 1968-04-02 MRI.pdf' | sha256sum
        #expect(UploadDigest.of(name) == "11b52ef15398")
        #expect(UploadDigest.of(displayedName: name.escapedForDisplay) == UploadDigest.of(name))
        let failure = IOFailure(operation: "open", path: "/var/spool/opine/drop/\(name)/MRI/Jane Doe 2.dcm", code: ENOSPC)
        let logged = LogSafe.error(failure, upload: name, in: Self.layout)
        #expect(logged == "open /var/spool/opine/drop/upload-11b52ef15398/…: No space left on device")
        let staged = IOFailure(operation: "write", path: "/var/lib/opine/staging/6f1c/MRI/Jane Doe 2.dcm", code: EIO)
        #expect(LogSafe.error(staged, upload: name, in: Self.layout) == "write /var/lib/opine/staging/6f1c/…: Input/output error")
        #expect(!LogSafe.quarantineFolder("20261201T101010Z-Jane_Doe_DOB_1968-04-02_MRI.pdf").contains("Jane"))
        #expect(LogSafe.quarantineFolder("20261201T101010Z-Jane_Doe").hasPrefix("20261201T101010Z-"))
    }

    /// The production layout: spool `/var/spool/opine`, state `/var/lib/opine`.
    static let layout = Configuration(source: "test", spoolDirectory: "/var/spool/opine", stateDirectory: "/var/lib/opine")

    @Test("A failure below a case, quarantine or set-aside folder is logged as far as that folder, never the patient's paths",
          arguments: [
            // A supplement's files keep the folders and names the patient chose inside the case's folder.
            ("mkdir", "/var/lib/opine/cases/C-20261201-0007/Jane Doe 1968-04-02", "/var/lib/opine/cases/C-20261201-0007/…"),
            ("rename", "/var/lib/opine/cases/C-20261201-0007/MRI/Jane Doe/lumbar.dcm", "/var/lib/opine/cases/C-20261201-0007/…"),
            ("rename", "/var/lib/opine/cases/C-20261201-0007", "/var/lib/opine/cases/C-20261201-0007"),
            ("open", "/var/spool/opine/rejected/20261201T101010Z-Jane Doe MRI/MRI/Jane Doe.dcm",
             "/var/spool/opine/rejected/20261201T101010Z-" + UploadDigest.of("Jane Doe MRI") + "/…"),
            ("rename", "/var/lib/opine/orphaned/Jane Doe.dcm-20261201T101010Z-0a1b2c3d",
             "/var/lib/opine/orphaned/" + UploadDigest.of("Jane Doe.dcm") + "-20261201T101010Z-0a1b2c3d"),
            ("unlink", "/var/spool/opine/drop/Jane Doe (other upload)/x.dcm", "/var/spool/opine/drop/upload-" + UploadDigest.of("Jane Doe (other upload)") + "/…"),
            ("fsync", "/var/lib/opine/opine.sqlite3", "/var/lib/opine/opine.sqlite3"),
          ])
    func pathsBelowOpinesFolders(operation: String, path: String, logged: String) {
        let failure = IOFailure(operation: operation, path: path, code: EIO)
        let line = LogSafe.error(failure, upload: "web-upload", in: Self.layout)
        #expect(line == "\(operation) \(logged): Input/output error")
        #expect(!line.contains("Jane"))
    }

    @Test("No counter falls when the purge removes old delivery attempts: the failed attempts on record are a gauge")
    func countersNeverFall() throws {
        let spool = try Spool()
        try spool.dropBundle("a")
        let outcome = spool.intake.take("a")
        try spool.store.pool.write { db in
            let outbox = try #require(try Int64.fetchOne(db, sql: "SELECT id FROM outbox ORDER BY id LIMIT 1"), "\(outcome)")
            try db.execute(sql: """
                INSERT INTO deliveries (outbox_id, endpoint, ordering_key, priority_rank, state, created_at)
                VALUES (?, 'crm', 'C-1', 0, 'failed', ?)
                """, arguments: [outbox, Self.now])
            let delivery = db.lastInsertedRowID
            for status in [500, nil] as [Int?] {
                try db.execute(sql: "INSERT INTO delivery_attempts (delivery_id, started_at, duration_ms, status) VALUES (?, ?, 5, ?)",
                               arguments: [delivery, Self.now, status])
            }
        }
        let before = try spool.store.metrics().prometheus()
        #expect(before.contains("# TYPE opine_webhook_failed_attempts_recorded gauge\nopine_webhook_failed_attempts_recorded 2\n"))
        // What the purge does to attempts older than retention.delivery_attempts.
        try spool.store.pool.write { try $0.execute(sql: "DELETE FROM delivery_attempts") }
        let after = try spool.store.metrics().prometheus()
        #expect(after.contains("opine_webhook_failed_attempts_recorded 0\n"))
        let counters = Self.counters(before)
        #expect(!counters.isEmpty)
        for (series, value) in counters {
            #expect((Self.counters(after)[series] ?? 0) >= value, "\(series) is typed counter but fell from \(value)")
        }
    }

    /// Each sample of a family typed `counter` in Prometheus text, by series.
    static func counters(_ text: String) -> [String: Double] {
        let lines = text.split(separator: "\n")
        let names = Set(lines.compactMap { line -> Substring? in
            let words = line.split(separator: " ")
            return words.count == 4 && words[1] == "TYPE" && words[3] == "counter" ? words[2] : nil
        })
        var samples: [String: Double] = [:]
        for line in lines where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            // The family's name is the series up to its labels.
            if names.contains(series.prefix { $0.isLetter || $0.isNumber || $0 == "_" }) { samples[String(series)] = value }
        }
        return samples
    }

    @Test("opine stats reads opined's own figures from the heartbeat: fresh is up, stale or stopped is down")
    func daemonFigures() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opine-figures-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = Configuration(source: "test", spoolDirectory: folder.path + "/spool", stateDirectory: folder.path + "/state")
        try FileManager.default.createDirectory(atPath: configuration.dropDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: configuration.dropDirectory + "/web-1", contents: Data())
        _ = FileManager.default.createFile(atPath: configuration.dropDirectory + "/web-2.zip.part", contents: Data())
        let written = try #require(Timestamps.parse(Self.now))
        let fresh = DaemonFigures(heartbeat: Self.beat(blocked: true), now: written.addingTimeInterval(2), configuration: configuration)
        #expect(fresh.up && fresh.intakeBlocked && fresh.heartbeatAgeSeconds == 2 && fresh.loopAgeSeconds["intake"] == 2.1)
        #expect(fresh.dropBacklog == 1, "an upload still being written is not counted")
        #expect(fresh.freeBytes["spool"] != nil && fresh.freeBytes["state"] == nil, "the state directory does not exist")
        let stale = DaemonFigures(heartbeat: Self.beat(blocked: true), now: written.addingTimeInterval(11), configuration: configuration)
        #expect(!stale.up && !stale.intakeBlocked && stale.loopAgeSeconds.isEmpty && stale.heartbeatAgeSeconds == 11)
        let stopped = DaemonFigures(heartbeat: Self.beat().stopped(at: Self.now), now: written, configuration: configuration)
        #expect(!stopped.up)
        #expect(!DaemonFigures(heartbeat: nil, now: written, configuration: configuration).up)
    }

    @Test("Prometheus text: label values escaped, whole numbers without a fraction, an empty family still declared")
    func prometheusText() {
        var text = PrometheusText()
        text.family("opine_x", .gauge, "X.", [([("endpoint", "a\"b\\c\nd")], 2), ([("endpoint", "e")], 0.25)])
        text.family("opine_y_seconds", .gauge, "Y.", [])
        #expect(text.text == """
            # HELP opine_x X.
            # TYPE opine_x gauge
            opine_x{endpoint="a\\"b\\\\c\\nd"} 2
            opine_x{endpoint="e"} 0.250
            # HELP opine_y_seconds Y.
            # TYPE opine_y_seconds gauge

            """)
    }
}
