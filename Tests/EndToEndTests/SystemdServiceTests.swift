import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("opined under systemd: readiness, watchdog pings, reload and stop")
struct SystemdServiceTests {
    /// The `WATCHDOG_USEC` the watchdog test sets, in seconds: systemd would restart opined after this long without
    /// a ping, and opined pings every half of it.
    static let watchdogSeconds = 1.0

    @Test("READY=1 and STATUS= at start, watchdog pings while healthy and none while a loop is stalled, STOPPING=1 at the end")
    func notifyAndWatchdog() throws {
        let sandbox = try Sandbox()
        let notify = try NotifySocket(in: sandbox.root)
        let stall = sandbox.root.appendingPathComponent("stall").path
        sandbox.environment["NOTIFY_SOCKET"] = notify.path
        sandbox.environment["WATCHDOG_USEC"] = String(Int(Self.watchdogSeconds * 1_000_000))
        sandbox.environment["OPINE_TEST_STALL_FILE"] = stall
        sandbox.environment["JOURNAL_STREAM"] = "8:12345"
        try sandbox.startDaemon()
        try waitUntil("opined says READY=1") { !notify.times(of: "READY=1").isEmpty }
        #expect(notify.messages().contains { $0.text.contains("STATUS=0 open (0 emergency); webhooks 0 waiting, 0 dead") })
        try Self.checkPingRate(notify)
        try Self.checkNoPingWhileStalled(sandbox, notify, stallFile: stall)
        #expect(sandbox.stopDaemon(signal: SIGTERM) == 0)
        #expect(!notify.times(of: "STOPPING=1").isEmpty)
    }

    /// Over the time six pings take: at least one ping per `WATCHDOG_USEC` (systemd restarts a service that misses
    /// one) and at most one per half of it (no bursts). A loaded machine only stretches the time, and both bounds
    /// are taken over it, so neither depends on how fast this machine is.
    static func checkPingRate(_ notify: NotifySocket) throws {
        let start = notify.count(of: "WATCHDOG=1")
        try waitUntil("six more watchdog pings") { notify.count(of: "WATCHDOG=1").count >= start.count + 6 }
        let end = notify.count(of: "WATCHDOG=1")
        let pings = Double(end.count - start.count)
        // Every ping sent between the two collections is counted: they took place within these bounds.
        let shortest = end.before.timeIntervalSince(start.after), longest = end.after.timeIntervalSince(start.before)
        #expect(pings >= shortest / watchdogSeconds - 1, "\(pings) pings in \(shortest) s: systemd would have restarted opined")
        #expect(pings <= longest / (watchdogSeconds / 2) + 2, "\(pings) pings in \(longest) s: more than one per interval")
    }

    /// A wedged loop: pings stop (systemd would restart opined), the log and `opine status` say so, and pings resume
    /// once the loop runs again.
    static func checkNoPingWhileStalled(_ sandbox: Sandbox, _ notify: NotifySocket, stallFile: String) throws {
        let stalledLine = "a working loop has stopped beating"
        let stallsBefore = sandbox.log.components(separatedBy: stalledLine).count
        #expect(FileManager.default.createFile(atPath: stallFile, contents: nil))
        try waitUntil("the stall is noticed") { sandbox.log.components(separatedBy: stalledLine).count > stallsBefore }
        // With stderr on the journal, each line carries its syslog priority and no timestamp of its own.
        #expect(sandbox.log.contains("<6>info opined: opined started"))
        #expect(sandbox.log.contains("<2>critical opined: \(stalledLine)"))
        // Every loop has been blocked for twice the limit (so none is merely late), by the daemon's own account.
        let blocked = try Self.waitForHeartbeat(sandbox, "every loop is blocked") { !$0.healthy && $0.loops.values.allSatisfy { $0 >= 1 } }
        let before = notify.count(of: "WATCHDOG=1").count
        let since = Timestamps.parse(blocked.at) ?? .distantFuture
        _ = try Self.waitForHeartbeat(sandbox, "the supervisor has run two more seconds") {
            (Timestamps.parse($0.at) ?? .distantPast).timeIntervalSince(since) >= 2
        }
        #expect(notify.count(of: "WATCHDOG=1").count == before, "no ping while a loop is stalled")
        let status = try sandbox.opine("status")
        #expect(status.status == 69 && status.stdout.contains("stalled"), "\(status.stdout)")
        try FileManager.default.removeItem(atPath: stallFile)
        try waitUntil("pings resume") { notify.count(of: "WATCHDOG=1").count > before }
    }

    /// Waits until the heartbeat file opined rewrites every two seconds satisfies `condition`, and returns it.
    static func waitForHeartbeat(_ sandbox: Sandbox, _ what: String, _ condition: (DaemonHeartbeat) -> Bool) throws -> DaemonHeartbeat {
        let file = sandbox.state.appendingPathComponent("opined.heartbeat")
        var found: DaemonHeartbeat?
        try waitUntil(what) {
            found = try? JSONDecoder().decode(DaemonHeartbeat.self, from: Data(contentsOf: file))
            return found.map(condition) ?? false
        }
        return try #require(found)
    }

    @Test("SIGHUP applies a good configuration and refuses a bad one, keeping the old in force")
    func reload() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("first", path: "/ok"))
        let notify = try NotifySocket(in: sandbox.root)
        sandbox.environment["NOTIFY_SOCKET"] = notify.path
        try sandbox.startDaemon()
        try waitUntil("ready") { !notify.times(of: "READY=1").isEmpty }
        let config = URL(fileURLWithPath: sandbox.environment["OPINE_CONFIG"]!)
        let original = try String(contentsOf: config, encoding: .utf8)

        // Good: a second endpoint starts receiving.
        try (original + receiver.endpoint("second", path: "/messaging")).write(to: config, atomically: true, encoding: .utf8)
        kill(sandbox.daemonPID!, SIGHUP)
        try waitUntil("reloaded") { sandbox.log.contains("configuration reloaded") }
        let messages = notify.messages().map(\.text)
        let reloading = try #require(messages.lastIndex { $0.hasPrefix("RELOADING=1") })
        #expect(messages[reloading...].contains { $0.hasPrefix("READY=1") } && messages[reloading].contains("MONOTONIC_USEC="))
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-reload-1")])
        try waitUntil("both endpoints got it") { receiver.requests("/ok").count == 1 && receiver.requests("/messaging").count == 1 }

        // Bad: a syntax error, then a moved spool. Both refused; the daemon carries on with the last good one.
        try (original + "[webhooks\n").write(to: config, atomically: true, encoding: .utf8)
        kill(sandbox.daemonPID!, SIGHUP)
        try waitUntil("the bad configuration is refused") { sandbox.log.contains("configuration reload refused") }
        try original.replacingOccurrences(of: "/spool\"", with: "/elsewhere\"").write(to: config, atomically: true, encoding: .utf8)
        kill(sandbox.daemonPID!, SIGHUP)
        try waitUntil("the moved spool is refused") { sandbox.log.components(separatedBy: "configuration reload refused").count == 3 }
        #expect(sandbox.log.contains("cannot\\x20change\\x20while\\x20opined\\x20runs"))
        #expect(sandbox.daemonIsRunning)
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-reload-2")])
        try waitUntil("the last good configuration still sends to both") { receiver.requests("/messaging").count == 2 }
        #expect(sandbox.stopDaemon() == 0)
    }

    @Test("SIGTERM during intake and delivery loses nothing and exits 0")
    func stopDuringWork() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/delay"))
        try sandbox.startDaemon()
        for index in 0..<10 { try sandbox.drop(BundleBuilder(submissionID: "web-stop-\(index)")) }
        try waitUntil("deliveries are under way") { !receiver.requests().isEmpty }
        #expect(sandbox.stopDaemon(signal: SIGTERM) == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path)
        #expect(try sandbox.cases().count + left.count == 10, "every upload is a case or still waiting in the drop directory")
        try sandbox.startDaemon()
        try waitUntil("all ten are cases and delivered", seconds: 60) {
            try sandbox.cases().count == 10 && sandbox.deliveries(["--state", "delivered"]).count == 10
        }
        #expect(try sandbox.rejections().isEmpty)
    }
}
