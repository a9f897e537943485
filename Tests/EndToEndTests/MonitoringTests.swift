import Foundation
import OpineCore
import OpineTestSupport
import Testing

@Suite("Monitoring: status warnings and exit codes, per-endpoint metrics, the alert rules' metrics, a clean stop")
struct MonitoringTests {
    /// Every opine_* metric the shipped alert rules use.
    static let ruleMetrics: Set<String> = {
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/prometheus/opine-alerts.yml")
        let text = (try? String(contentsOf: rules, encoding: .utf8)) ?? ""
        let expressions = text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("expr:") }
        return Set(expressions.flatMap { line in line.matches(of: /opine_[a-z0-9_]+/).map { String($0.output) } })
    }()

    @Test("A receiver answering 410 disables its endpoint: status warns (exit 75), deliveries show held, metrics say so")
    func goneEndpoint() throws {
        let receiver = try Receiver()
        let metricsFile = FileManager.default.temporaryDirectory.appendingPathComponent("opine-\(UUID().uuidString.prefix(8)).prom")
        defer { try? FileManager.default.removeItem(at: metricsFile) }
        let sandbox = try Sandbox(
            receiver: receiver, retrySchedule: #"["1h"]"#,
            endpoints: receiver.endpoint("gone", path: "/gone") + receiver.endpoint("desk", path: "/ok"))
        sandbox.environment["OPINE_METRICS_TEXTFILE"] = metricsFile.path
        sandbox.environment["OPINE_METRICS_INTERVAL"] = "1s"
        try sandbox.startDaemon()
        #expect(try sandbox.opine("status").status == 0)
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-gone-1")])
        try waitUntil("the gone endpoint is disabled") {
            let endpoints = try sandbox.opine("endpoints", "--json").json()["endpoints"] as? [[String: Any]] ?? []
            return endpoints.contains { $0["name"] as? String == "gone" && $0["status"] as? String == "disabled" }
        }
        // A later case's delivery to the disabled endpoint waits, held.
        let second = try sandbox.addCases([BundleBuilder(submissionID: "web-gone-2")])[0]
        try waitUntil("the desk got the second case") { receiver.requests("/ok").contains { $0.caseID == second } }

        let status = try sandbox.opine("status", "--json")
        let report = try status.json()
        let warnings = report["warnings"] as? [[String: Any]] ?? []
        #expect(status.status == 75 && report["state"] as? String == "warning" && report["healthy"] as? Bool == true, "\(status.stdout)")
        #expect(warnings.contains { $0["code"] as? String == "endpoint_disabled" && ($0["message"] as? String ?? "").contains("gone") })
        let text = try sandbox.opine("status")
        #expect(text.status == 75 && text.stdout.contains("with warnings") && text.stdout.contains("warning: endpoint gone is disabled"))

        let held = try sandbox.deliveries(["--endpoint", "gone", "--case", second])
        #expect(held.count == 1 && held.first?["state"] as? String == "pending" && held.first?["held"] as? String == "endpoint_disabled")
        #expect(try sandbox.deliveries(["--endpoint", "desk"]).allSatisfy { $0["held"] is NSNull })
        let listing = try sandbox.opine("deliveries", "--endpoint", "gone", "--case", second)
        #expect(listing.stdout.contains("held: endpoint disabled") && !listing.stdout.contains("next "), "\(listing.stdout)")

        try Self.expectGoneInMetrics(sandbox, textfile: metricsFile)

        // Enabled again, the held delivery goes.
        #expect(try sandbox.opine("endpoints", "enable", "gone").status == 0)
        try waitUntil("the held delivery went") { receiver.requests("/gone").contains { $0.caseID == second } }
    }

    /// `opine stats --prometheus` and opined's textfile show the gone endpoint disabled with its held delivery, and
    /// every metric the alert rules use.
    static func expectGoneInMetrics(_ sandbox: Sandbox, textfile metricsFile: URL) throws {
        let metrics = try sandbox.opine("stats", "--prometheus")
        #expect(metrics.status == 0)
        for line in [
            #"opine_webhook_endpoint_state{endpoint="gone",state="disabled"} 1"#,
            #"opine_webhook_endpoint_state{endpoint="gone",state="active"} 0"#,
            #"opine_webhook_endpoint_state{endpoint="desk",state="active"} 1"#,
            #"opine_webhook_endpoint_deliveries{endpoint="gone",state="pending"} 1"#,
            #"opine_webhook_endpoint_deliveries{endpoint="desk",state="pending"} 0"#,
            "opine_up 1", "opine_intake_blocked 0", "opine_drop_backlog 0",
            #"opine_oldest_untriaged_seconds{priority="routine"}"#, #"opine_filesystem_free_bytes{filesystem="spool"}"#,
            #"opine_loop_heartbeat_age_seconds{loop="intake"}"#, #"opine_webhook_endpoint_last_success_age_seconds{endpoint="desk"}"#,
        ] {
            #expect(metrics.stdout.contains(line), "missing \(line)")
        }
        #expect(!metrics.stdout.contains(#"opine_webhook_endpoint_last_success_age_seconds{endpoint="gone"}"#), "gone never took one")
        let exported = Set(metrics.stdout.matches(of: #/# TYPE (opine_[a-z0-9_]+) /#).map { String($0.output.1) })
        #expect(!ruleMetrics.isEmpty && ruleMetrics.isSubset(of: exported), "rules use \(ruleMetrics.subtracting(exported))")
        try waitUntil("opined's textfile shows the endpoint disabled with a held delivery") {
            let file = (try? String(contentsOf: metricsFile, encoding: .utf8)) ?? ""
            return file.contains(#"opine_webhook_endpoint_state{endpoint="gone",state="disabled"} 1"#)
                && file.contains(#"opine_webhook_endpoint_deliveries{endpoint="gone",state="pending"} 1"#)
        }
        #expect(ruleMetrics.allSatisfy { ((try? String(contentsOf: metricsFile, encoding: .utf8)) ?? "").contains("# TYPE \($0) ") })
    }

    @Test("A clean stop says stopped at once: status exits 69, the textfile and stats say down")
    func cleanStop() throws {
        let metricsFile = FileManager.default.temporaryDirectory.appendingPathComponent("opine-\(UUID().uuidString.prefix(8)).prom")
        defer { try? FileManager.default.removeItem(at: metricsFile) }
        let sandbox = try Sandbox(["OPINE_METRICS_TEXTFILE": metricsFile.path, "OPINE_METRICS_INTERVAL": "1s"])
        try sandbox.startDaemon()
        let running = try sandbox.opine("status", "--json")
        let state = try running.json()["state"] as? String
        #expect(running.status == 0 && state == "healthy", "\(running.stdout)")
        #expect(sandbox.stopDaemon() == 0)

        let stopped = try sandbox.opine("status")
        #expect(stopped.status == 69 && stopped.stdout.hasPrefix("opined is stopped.") && stopped.stdout.contains("stopped cleanly"),
                "\(stopped.stdout)")
        let report = try sandbox.opine("status", "--json").json()
        #expect(report["state"] as? String == "stopped" && report["healthy"] as? Bool == false && report["stopped_at"] is String)
        #expect(((try? String(contentsOf: metricsFile, encoding: .utf8)) ?? "").contains("\nopine_up 0\n"), "the last textfile says down")
        let metrics = try sandbox.opine("stats", "--prometheus").stdout
        #expect(metrics.contains("\nopine_up 0\n") && metrics.contains("opine_heartbeat_age_seconds "))
    }
}
