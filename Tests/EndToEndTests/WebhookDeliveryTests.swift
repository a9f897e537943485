import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Webhook delivery from the real opined to a loopback receiver: signing, retries, ordering, hostile receivers, kills")
struct WebhookDeliveryTests {
    static let admin = Sandbox.admin

    /// triage → review → respond, through the CLI.
    static func walk(_ sandbox: Sandbox, _ id: String) throws {
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: admin).status == 0)
        #expect(try sandbox.opine(["review", id, "--findings", "No surgery indicated.", "--as", "dr-patel"], extraEnvironment: admin).status == 0)
        let letter = sandbox.root.appendingPathComponent("letter.pdf")
        try Samples.pdf.write(to: letter)
        #expect(try sandbox.opine(["respond", id, "--letter-file", letter.path], extraEnvironment: admin).status == 0)
    }

    static let patientData = ["Jane", "Doe", "jane.doe@example.org", "555 0100", "1968-04-02", "herniation"]

    @Test("Every event type arrives signed per Standard Webhooks; only include_contact endpoints see contact details")
    func everyEventSigned() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok")
            + receiver.endpoint("messaging", path: "/messaging", extra: "include_contact = true\nevents = [\"case.received\", \"case.responded\"]"))
        try sandbox.startDaemon()
        let ids = try sandbox.addCases([
            BundleBuilder(submissionID: "web-hook-1", symptoms: ["sciatica", "bowel_bladder_dysfunction"]),
            BundleBuilder(submissionID: "web-hook-2"),
        ])
        try Self.walk(sandbox, ids[0])
        #expect(try sandbox.opine(["withdraw", ids[1], "--reason", "patient asked"], extraEnvironment: Self.admin).status == 0)
        var broken = BundleBuilder(submissionID: "web-hook-bad")
        broken.manifest["version"] = 2
        try sandbox.drop(broken, as: "bad")

        let expected: Set<String> = ["case.received", "case.emergency", "case.triaged", "case.reviewed", "case.responded", "case.withdrawn", "bundle.rejected"]
        try waitUntil("the desk endpoint got every event type") { Set(receiver.requests("/ok").map(\.type)) == expected }
        try waitUntil("messaging got received ×2 and responded") { receiver.requests("/messaging").count == 3 }

        let desk = receiver.requests("/ok")
        #expect(desk.count == 8, "2 received, 1 emergency, triaged, reviewed, responded, withdrawn, rejected: \(desk.map(\.type))")
        Self.checkStandardWebhooks(desk + receiver.requests("/messaging"))
        #expect(Set(desk.map(\.id)).count == desk.count, "each event has its own webhook-id")
        #expect(Set(desk.map(\.peerPort)).count < desk.count, "connections are reused")
        for request in desk {
            for secret in Self.patientData { #expect(!request.body.contains(secret), "\(request.type) leaked \(secret)") }
        }
        // The emergency is announced before the routine notice of the same case.
        let first = desk.filter { $0.caseID == ids[0] }.map(\.type)
        #expect(first == ["case.emergency", "case.received", "case.triaged", "case.reviewed", "case.responded"])
        let rejected = try #require(desk.first { $0.type == "bundle.rejected" })
        #expect(rejected.data["reason"] as? String == "unsupported_version" && rejected.data["submission_id"] as? String == "web-hook-bad")
        #expect(desk.first { $0.type == "case.triaged" }?.data["assignee"] as? String == "dr-patel")

        // The messaging service, and only it, gets what it needs to reach the patient.
        let messaging = receiver.requests("/messaging")
        #expect(Set(messaging.map(\.type)) == ["case.received", "case.responded"])
        let patient = try #require(messaging.first?.data["patient"] as? [String: Any])
        #expect(patient["name"] as? String == BundleBuilder.patient.name && patient["email"] as? String == BundleBuilder.patient.email)
        #expect(!messaging.contains { $0.body.contains(BundleBuilder.patient.dateOfBirth) }, "birth date is never sent")
        // Same event, same webhook-id at every endpoint.
        let received = try #require(desk.first { $0.type == "case.received" && $0.caseID == ids[0] })
        #expect(messaging.contains { $0.id == received.id })
        #expect(!sandbox.log.contains("Jane") && !sandbox.log.contains(Receiver.secret))
    }

    /// The Standard Webhooks headers of each request: a signature only the right secret verifies, a `msg_` id, a
    /// current timestamp, JSON with its own timestamp.
    static func checkStandardWebhooks(_ requests: [Receiver.Request]) {
        let now = Int(Date().timeIntervalSince1970)
        for request in requests {
            #expect(Receiver.signatureVerifies(request), "signature of \(request.type)")
            #expect(!Receiver.signatureVerifies(request, secrets: ["whsec_" + Data("wrong".utf8).base64EncodedString()]))
            #expect(request.id.hasPrefix("msg_") && abs((Int(request.timestamp) ?? 0) - now) < 120)
            #expect(request.contentType == "application/json" && request.userAgent.hasPrefix("Opine"))
            #expect(request.json["timestamp"] is String)
        }
    }

    @Test("opined refuses to start without an endpoint's secret, naming where it looked (exit 78)")
    func missingSecret() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        sandbox.environment["OPINE_TEST_WEBHOOK_SECRET"] = nil
        let result = try sandbox.opine([], program: "opined")
        #expect(result.status == 78 && result.stderr.contains("OPINE_TEST_WEBHOOK_SECRET"), "\(result.status) \(result.stderr)")
        sandbox.environment["OPINE_TEST_WEBHOOK_SECRET"] = "not-a-secret"
        let malformed = try sandbox.opine([], program: "opined")
        #expect(malformed.status == 78 && malformed.stderr.contains("whsec_") && !malformed.stderr.contains("not-a-secret"))
    }

    @Test("A receiver failing twice gets exactly three attempts with one webhook-id, then no more")
    func retriesThenStops() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("flaky", path: "/flaky/2", extra: "events = [\"case.received\"]"))
        try sandbox.startDaemon()
        let first = try sandbox.addCases([BundleBuilder(submissionID: "web-retry-1")])[0]
        try waitUntil("the delivery is delivered") { try sandbox.deliveries(["--case", first]).first?["state"] as? String == "delivered" }
        // A later event delivered after two more retry intervals shows no further attempt was made for the first.
        let second = try sandbox.addCases([BundleBuilder(submissionID: "web-retry-2")])[0]
        try waitUntil("the second delivery is delivered") { try sandbox.deliveries(["--case", second]).first?["state"] as? String == "delivered" }
        let forFirst = receiver.requests().filter { $0.caseID == first }
        #expect(forFirst.map(\.status) == [500, 500, 200])
        #expect(Set(forFirst.map(\.id)).count == 1, "every retry carries the same webhook-id")
        let attempts = try #require(try sandbox.deliveries(["--case", first]).first?["attempts"] as? [[String: Any]])
        #expect(attempts.compactMap { $0["status"] as? Int } == [500, 500, 200])
        #expect(attempts.first?["response"] as? String == "not yet")
    }

    @Test("A dead delivery is visible and replayed by opine redeliver with the same webhook-id")
    func deadAndRedelivered() throws {
        let receiver = try Receiver()
        try receiver.setSwitch("desk", down: true)
        let sandbox = try Sandbox(receiver: receiver, retrySchedule: #"["0.1s", "0.1s"]"#, endpoints: receiver.endpoint("desk", path: "/switch/desk"))
        try sandbox.startDaemon()
        let id = try sandbox.addCases([BundleBuilder(submissionID: "web-dead")])[0]
        try waitUntil("the delivery is dead") { try sandbox.deliveries(["--state", "dead"]).count == 1 }
        #expect(receiver.requests().map(\.status) == [503, 503, 503])
        #expect(sandbox.log.contains("webhook delivery dead"))
        #expect(try sandbox.opine("stats").stdout.contains("0 pending, 0 retrying, 1 dead"))
        #expect(try sandbox.opine("endpoints", "--json").json()["endpoints"].flatMap { ($0 as? [[String: Any]])?.first?["dead"] as? Int } == 1)

        // Later events of the same case wait behind the dead one instead of overtaking it.
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Self.admin).status == 0)
        try waitUntil("the triage notice is held, dead, behind it") { try sandbox.deliveries(["--state", "dead"]).count == 2 }
        #expect(receiver.requests().count == 3)

        try receiver.setSwitch("desk", down: false)
        let replay = try sandbox.opine("redeliver", "--case", id, "--json").json()
        #expect((replay["redelivered"] as? [Int])?.count == 2)
        try waitUntil("both are delivered") { try sandbox.deliveries(["--state", "delivered"]).count == 2 }
        let requests = receiver.requests()
        #expect(requests.suffix(2).map(\.type) == ["case.received", "case.triaged"], "replayed in order")
        #expect(requests.filter { $0.type == "case.received" }.map(\.id).count == 4)
        #expect(Set(requests.filter { $0.type == "case.received" }.map(\.id)).count == 1, "the replay reuses the webhook-id")

        // A delivered one can be replayed by id; usage errors are explained.
        let deliveryID = try #require(try sandbox.deliveries(["--case", id]).first?["id"] as? Int)
        #expect(try sandbox.opine("redeliver", String(deliveryID)).status == 0)
        try waitUntil("the replay arrives") { receiver.requests().count == 6 }
        let bad = try sandbox.opine("redeliver", "--dead")
        #expect(bad.status == 64 && bad.stderr.contains("--endpoint"))
        #expect(try sandbox.opine("redeliver", "999999").status == 2)
    }

    @Test("One case's events keep their order at a flaky endpoint while another endpoint is down")
    func orderHeldWhileAnotherEndpointIsDown() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(
            receiver: receiver, retrySchedule: #"["0.3s", "0.3s", "0.3s"]"#,
            endpoints: receiver.endpoint("ordered", path: "/flaky/1")
                + "[endpoints.down]\nurl = \"http://127.0.0.1:9/down\"\nallow_http = true\nsecret_env = \"OPINE_TEST_WEBHOOK_SECRET\"\n")
        try sandbox.startDaemon()
        let ids = try sandbox.addCases([BundleBuilder(submissionID: "web-order-1"), BundleBuilder(submissionID: "web-order-2")])
        try Self.walk(sandbox, ids[0])
        try Self.walk(sandbox, ids[1])
        try waitUntil("all 8 events reached the ordered endpoint") { receiver.requests().filter { $0.status == 200 }.count == 8 }
        for id in ids {
            let requests = receiver.requests().filter { $0.caseID == id }
            let successes = requests.filter { $0.status == 200 }.map(\.type)
            #expect(successes == ["case.received", "case.triaged", "case.reviewed", "case.responded"])
            // No event of the case was even tried before the one before it had arrived.
            var arrived = Set<String>()
            for request in requests {
                let position = successes.firstIndex(of: request.type)!
                #expect(successes.prefix(position).allSatisfy(arrived.contains), "\(request.type) tried before an earlier event arrived")
                if request.status == 200 { arrived.insert(request.type) }
            }
        }
        let down = try sandbox.deliveries(["--endpoint", "down"])
        #expect(down.count == 8 && down.allSatisfy { $0["state"] as? String != "delivered" })
        let tried = try #require(down.first { !(($0["attempts"] as? [Any]) ?? []).isEmpty }, "the down endpoint was tried")
        let error = (tried["attempts"] as? [[String: Any]])?.first?["error"] as? String ?? ""
        #expect(error.contains("onnect"), "connection errors are recorded: \(error)")
    }

    @Test("Redirects are not followed, slow receivers time out, huge answers are cut, 410 disables the endpoint")
    func hostileReceivers() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(
            receiver: receiver, retrySchedule: #"["1h"]"#, webhooks: "max_response_bytes = \"4 KiB\"",
            endpoints: receiver.endpoint("redirect", path: "/redirect", extra: "events = [\"case.received\"]")
                + receiver.endpoint("slow", path: "/slow", extra: "events = [\"case.received\"]\ntimeout = \"0.5s\"")
                + receiver.endpoint("huge", path: "/huge", extra: "events = [\"case.received\"]")
                + receiver.endpoint("gone", path: "/gone", extra: "events = [\"case.received\"]"))
        try sandbox.startDaemon()
        let first = try sandbox.addCases([BundleBuilder(submissionID: "web-hostile-1")])[0]
        func attempt(_ endpoint: String, _ caseID: String = first) throws -> [String: Any]? {
            (try sandbox.deliveries(["--endpoint", endpoint, "--case", caseID]).first?["attempts"] as? [[String: Any]])?.first
        }
        try waitUntil("every endpoint was attempted once") {
            try ["redirect", "slow", "huge", "gone"].allSatisfy { try attempt($0) != nil }
        }
        #expect(try attempt("redirect")?["status"] as? Int == 302)
        #expect(receiver.requests("/redirected").isEmpty, "the redirect was not followed")
        // The slow receiver never answers: opined gave up on it (hung up) and recorded a timeout.
        let slow = try #require(try attempt("slow"))
        #expect((slow["error"] as? String ?? "").lowercased().contains("timeout"), "\(slow)")
        try waitUntil("the slow receiver sees opined hang up") { receiver.abandoned("/slow").count == 1 }
        let huge = try #require(try attempt("huge"))
        #expect(huge["status"] as? Int == 200 && (huge["error"] as? String ?? "").contains("cut after 4096 bytes"))
        #expect(try sandbox.deliveries(["--endpoint", "huge"]).first?["state"] as? String == "delivered")
        #expect(try attempt("gone")?["status"] as? Int == 410)

        let endpoints = try #require(try sandbox.opine("endpoints", "--json").json()["endpoints"] as? [[String: Any]])
        let gone = try #require(endpoints.first { $0["name"] as? String == "gone" })
        #expect(gone["status"] as? String == "disabled" && gone["disabled_reason"] as? String == "answered 410 Gone")
        #expect(sandbox.log.contains("410 Gone"))

        // A disabled endpoint gets nothing more until it is enabled; then its waiting deliveries go.
        let second = try sandbox.addCases([BundleBuilder(submissionID: "web-hostile-2")])[0]
        try waitUntil("the second case reached the huge endpoint") { try attempt("huge", second) != nil }
        #expect(receiver.requests("/gone").count == 1)
        #expect(try sandbox.opine("endpoints", "enable", "gone").status == 0)
        try waitUntil("the gone endpoint is tried again") { receiver.requests("/gone").count >= 2 }
        #expect(try sandbox.opine("endpoints", "enable", "nosuch").status == 2)
    }

    @Test("An endpoint failing longer than pause_after is paused, visibly, to one probe per interval")
    func pausedEndpoint() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(
            receiver: receiver, retrySchedule: #"["0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s", "0.1s"]"#,
            webhooks: "pause_after = \"1s\"\nprobe_interval = \"1h\"",
            endpoints: receiver.endpoint("failing", path: "/fail") + receiver.endpoint("desk", path: "/ok"))
        try sandbox.startDaemon()
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-pause")])
        func status(_ name: String) throws -> String? {
            (try sandbox.opine("endpoints", "--json").json()["endpoints"] as? [[String: Any]])?.first { $0["name"] as? String == name }?["status"] as? String
        }
        try waitUntil("the failing endpoint is paused") { try status("failing") == "paused" }
        let attempts = receiver.requests("/fail").count
        #expect(sandbox.log.contains("endpoint paused"))
        #expect(try status("desk") == "active")
        // Paused: a new event still reaches the healthy endpoint, and the paused one gets nothing new.
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-pause-2")])
        try waitUntil("the desk got both cases") { receiver.requests("/ok").count == 2 }
        #expect(receiver.requests("/fail").count == attempts)
        #expect(try sandbox.opine("endpoints").stdout.contains("paused"))
    }

    @Test("TLS certificates are verified: a receiver with a self-signed certificate gets no webhook")
    func tlsVerified() throws {
        let receiver = try Receiver(selfSignedTLS: true)
        let sandbox = try Sandbox(receiver: receiver, retrySchedule: #"["1h"]"#, endpoints: """
            [endpoints.impostor]
            url = "https://127.0.0.1:\(receiver.port)/ok"
            secret_env = "OPINE_TEST_WEBHOOK_SECRET"
            """)
        try sandbox.startDaemon()
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-tls")])
        try waitUntil("the attempt failed") { try sandbox.deliveries().first?["state"] as? String == "failed" }
        let error = try sandbox.deliveries().first.flatMap { ($0["attempts"] as? [[String: Any]])?.first?["error"] as? String } ?? ""
        #expect(error.contains("certificate") || error.contains("SSL"), "\(error)")
        #expect(receiver.requests().isEmpty, "nothing was sent over the unverified connection")
    }

    /// A running opined whose one endpoint, desk, is the receiver's `/hold/desk`, held: every attempt stays in
    /// flight until the test releases it with `setHold("desk", held: false)`.
    static func daemonWithHeldEndpoint() throws -> (Receiver, Sandbox) {
        let receiver = try Receiver()
        try receiver.setHold("desk", held: true)
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/hold/desk"))
        try sandbox.startDaemon()
        return (receiver, sandbox)
    }

    @Test("Attempts run in parallel, and SIGKILL with attempts in flight loses nothing: every event arrives after a restart")
    func killWithAttemptsInFlight() throws {
        let (receiver, sandbox) = try Self.daemonWithHeldEndpoint()
        _ = try sandbox.addCases((0..<12).map { BundleBuilder(submissionID: "web-kill-\($0)") })
        // The receiver answers none while held, so two requests waiting at once were both in flight at once.
        try waitUntil("two attempts are in flight at the same time") { receiver.unanswered().count >= 2 }
        sandbox.stopDaemon(signal: SIGKILL)
        try receiver.setHold("desk", held: false)

        try sandbox.startDaemon()
        try waitUntil("every event is delivered after the restart", seconds: 60) {
            try sandbox.deliveries(["--state", "delivered"]).count == 12
        }
        let ids = Set(try sandbox.deliveries().compactMap { $0["webhook_id"] as? String })
        #expect(ids.count == 12)
        #expect(ids.isSubset(of: Set(receiver.requests().filter { $0.status == 200 }.map(\.id))), "every event reached the receiver")
        #expect(try sandbox.opine("verify").status == 0)
    }

    @Test("SIGTERM waits for the attempt in flight, records its answer, then exits 0")
    func termFinishesAttemptInFlight() throws {
        let (receiver, sandbox) = try Self.daemonWithHeldEndpoint()
        _ = try sandbox.addCases([BundleBuilder(submissionID: "web-term")])
        try waitUntil("the attempt is in flight") { receiver.unanswered().count == 1 }
        sandbox.signalDaemon(SIGTERM)
        try waitUntil("opined is stopping and waits for the attempt") {
            sandbox.log.contains("stopping: waiting for webhook attempts in flight")
        }
        #expect(sandbox.daemonIsRunning, "opined must not exit while the attempt is unanswered")
        try receiver.setHold("desk", held: false)
        #expect(try sandbox.waitForDaemonExit() == 0)
        let delivery = try #require(try sandbox.deliveries().first)
        #expect(delivery["state"] as? String == "delivered", "\(delivery)")
        #expect((delivery["attempts"] as? [[String: Any]])?.compactMap { $0["status"] as? Int } == [200])
    }
}
