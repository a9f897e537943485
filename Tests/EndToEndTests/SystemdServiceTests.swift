import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("opined under systemd: readiness, watchdog pings, reload and stop")
struct SystemdServiceTests {
    @Test("READY=1, STATUS=, watchdog pings at half of WATCHDOG_USEC, none while a loop is stalled, STOPPING=1")
    func notifyAndWatchdog() throws {
        let sandbox = try Sandbox()
        let notify = try NotifySocket(in: sandbox.root)
        let stall = sandbox.root.appendingPathComponent("stall").path
        sandbox.environment["NOTIFY_SOCKET"] = notify.path
        sandbox.environment["WATCHDOG_USEC"] = "1000000"
        sandbox.environment["OPINE_TEST_STALL_FILE"] = stall
        sandbox.environment["JOURNAL_STREAM"] = "8:12345"
        try sandbox.startDaemon()
        try waitUntil("opined says READY=1") { !notify.times(of: "READY=1").isEmpty }
        #expect(notify.messages().contains { $0.text.contains("STATUS=0 open (0 emergency); webhooks 0 waiting, 0 dead") })
        try waitUntil("six watchdog pings") { notify.times(of: "WATCHDOG=1").count >= 6 }
        let pings = notify.times(of: "WATCHDOG=1")
        let gaps = zip(pings.dropFirst(), pings).map { $0.timeIntervalSince($1) }
        // Every 0.5 s; generous bounds for a loaded machine, but never a burst and never a gap systemd would punish.
        #expect(gaps.allSatisfy { $0 > 0.3 && $0 < 0.95 }, "gaps between pings: \(gaps)")

        // A wedged loop: pings stop (systemd would restart opined) and the log says which loop.
        #expect(FileManager.default.createFile(atPath: stall, contents: nil))
        try waitUntil("the stall is noticed") { sandbox.log.contains("a working loop has stopped beating") }
        // With stderr on the journal, each line carries its syslog priority and no timestamp of its own.
        #expect(sandbox.log.contains("<6>info opined: opined started"))
        #expect(sandbox.log.contains("<2>critical opined: a working loop has stopped beating"))
        let before = notify.times(of: "WATCHDOG=1").count
        let heartbeat = sandbox.state.appendingPathComponent("opined.heartbeat").path
        let stamp = { (try? JSONDecoder().decode(DaemonHeartbeat.self, from: Data(contentsOf: URL(fileURLWithPath: heartbeat))))?.at }
        let first = stamp()
        try waitUntil("the heartbeat file was rewritten twice more") {
            guard let now = stamp(), let first else { return false }
            return (Timestamps.parse(now) ?? .distantPast).timeIntervalSince(Timestamps.parse(first) ?? .distantFuture) >= 2
        }
        #expect(notify.times(of: "WATCHDOG=1").count == before, "no ping while a loop is stalled")
        let status = try sandbox.opine("status")
        #expect(status.status == 69 && status.stdout.contains("stalled"), "\(status.stdout)")
        try FileManager.default.removeItem(atPath: stall)
        try waitUntil("pings resume") { notify.times(of: "WATCHDOG=1").count > before }

        #expect(sandbox.stopDaemon(signal: SIGTERM) == 0)
        #expect(!notify.times(of: "STOPPING=1").isEmpty)
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
