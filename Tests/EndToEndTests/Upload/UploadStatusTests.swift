import Foundation
import OpineCore
import OpineTestSupport
import Testing

/// `opine-upload` learns what became of a submission from opined's signed webhooks and shows it on the status link.
@Suite("Upload service: status from opined's webhooks", .serialized)
struct UploadStatusTests {
    static func body(_ type: NotificationType, _ data: NotificationData, at time: Date = Date()) throws -> Data {
        try WebhookMessage(type: type, timestamp: Timestamps.format(time), data: data).body()
    }

    static func caseData(_ submission: String, priority: Priority = .routine, state: CaseState = .received) -> NotificationData {
        let now = Timestamps.format(Date())
        return NotificationData(
            caseID: "C-20270115-0001", state: state, priority: priority, regions: ["lumbar"], assignee: nil, submissionID: submission,
            receivedAt: now, updatedAt: now)
    }

    static func planted(_ tag: String, emergency: Bool = false, updatedAt: Date = Date()) -> UploadServer.Planted {
        let id = "web-\(tag)-\(UUID().uuidString.prefix(6).lowercased())"
        return .init(submissionID: id, bundleName: "opine-upload-\(id)", token: "tok-\(UUID().uuidString)-\(tag)", emergency: emergency, updatedAt: updatedAt)
    }

    @Test("Signed webhooks turn a status received, emergency or refused; a bad or stale signature gets 401 and changes nothing")
    func signedWebhooks() throws {
        let service = try UploadServer(webhookSecret: Receiver.secret, start: false)
        let (plain, urgent, broken) = (Self.planted("plain"), Self.planted("urgent"), Self.planted("broken"))
        for planted in [plain, urgent, broken] { try service.plant(planted) }
        try service.start()

        let first = try service.get("/api/status/\(plain.token)")
        #expect(first.status == 200 && first.json["status"] as? String == "sent" && first.json["reference"] as? String == "7K3M-9Q2D")
        #expect(first.json["refusal"] is NSNull, "refusal is present and null: \(String(decoding: first.body, as: UTF8.self))")

        #expect(try service.postWebhook(Self.body(.caseReceived, Self.caseData(plain.submissionID))).status == 204)
        let received = try service.get("/api/status/\(plain.token)").json
        #expect(received["status"] as? String == "received" && received["emergency"] as? Bool == false)

        #expect(try service.postWebhook(Self.body(.caseEmergency, Self.caseData(urgent.submissionID, priority: .emergency))).status == 204)
        let emergency = try service.get("/api/status/\(urgent.token)").json
        #expect(emergency["status"] as? String == "received" && emergency["emergency"] as? Bool == true)

        // A refusal without a submission id (a manifest opined could not read) is matched by the bundle name's digest.
        let refusal = NotificationData(
            rejectionCode: "checksum_mismatch", submissionID: nil, rejectionID: "R-20270115-3f9a0c2e71d4", uploadDigest: broken.digest,
            entry: "report.pdf", field: "files[0].sha256")
        #expect(try service.postWebhook(Self.body(.bundleRejected, refusal)).status == 204)
        let refused = try service.get("/api/status/\(broken.token)").json
        #expect(refused["status"] as? String == "refused")
        let reason = try #require(refused["refusal"] as? [String: Any])
        #expect(reason["code"] as? String == "checksum_mismatch" && reason["entry"] as? String == "report.pdf")

        // Forged, replayed and unsigned requests: 401 with nothing but the sentence, and the status unchanged.
        let withdrawal = try Self.body(.caseWithdrawn, Self.caseData(plain.submissionID, state: .withdrawn))
        let forged = try service.postWebhook(withdrawal, secrets: ["whsec_" + Data("not the practice's key".utf8).base64EncodedString()])
        let stale = try service.postWebhook(withdrawal, timestamp: Date().addingTimeInterval(-600))
        for answer in [forged, stale] {
            #expect(answer.status == 401 && answer.json as NSDictionary == ["error": "signature does not verify"])
        }
        #expect(try service.get("/api/status/\(plain.token)").json["status"] as? String == "received")

        // Another uploader's bundle is none of this service's business; an unknown link is 404.
        #expect(try service.postWebhook(Self.body(.caseReceived, Self.caseData("sftp-upload-1"))).status == 204)
        #expect(try service.get("/api/status/tok-unknown-\(UUID().uuidString)").status == 404)
        #expect(!service.log.contains(plain.token) && !service.log.contains("report.pdf"), "tokens and entries stay out of the log")
    }

    @Test("A redelivered webhook is applied once and an older event never overwrites a newer one")
    func orderAndRedelivery() throws {
        let service = try UploadServer(webhookSecret: Receiver.secret, start: false)
        let planted = Self.planted("order")
        try service.plant(planted)
        try service.start()
        let now = Date()
        let triaged = try Self.body(.caseTriaged, Self.caseData(planted.submissionID, state: .triaged), at: now)
        #expect(try service.postWebhook(triaged, id: "msg_triaged").status == 204)
        let late = try Self.body(.caseReceived, Self.caseData(planted.submissionID), at: now.addingTimeInterval(-30))
        #expect(try service.postWebhook(late, id: "msg_received").status == 204)
        #expect(try service.get("/api/status/\(planted.token)").json["status"] as? String == "being_reviewed")
        #expect(try service.postWebhook(triaged, id: "msg_triaged").status == 204, "a redelivery is answered 204 as well")
    }

    @Test("Records past uploads.status_kept_days are swept at start with their status links")
    func sweep() throws {
        let service = try UploadServer(webhookSecret: Receiver.secret, start: false)
        let old = Self.planted("old", updatedAt: Date().addingTimeInterval(-91 * 86400))
        let fresh = Self.planted("fresh", updatedAt: Date().addingTimeInterval(-89 * 86400))
        for planted in [old, fresh] { try service.plant(planted) }
        try service.start()
        let record = service.state.appendingPathComponent("submissions/\(old.submissionID).json")
        try waitUntil("the old record is swept") { !FileManager.default.fileExists(atPath: record.path) }
        #expect(try service.get("/api/status/\(old.token)").status == 404)
        #expect(try service.get("/api/status/\(fresh.token)").status == 200)
        let tokens = try FileManager.default.contentsOfDirectory(atPath: service.state.appendingPathComponent("tokens").path)
        #expect(tokens.count == 1, "only the fresh submission's link is left")
    }

    @Test("With a real opined sending to the service, a dropped bundle's status turns received, emergency or refused")
    func realOpined() throws {
        let port = try UploadServer.freePort()
        let sandbox = try Sandbox(
            ["OPINE_TEST_WEBHOOK_SECRET": Receiver.secret],
            extraConfiguration: """
                [webhooks]
                retry_schedule = ["0.2s", "0.2s", "0.2s"]
                retry_jitter = 0
                [endpoints.upload]
                url = "http://127.0.0.1:\(port)/hooks/opine"
                allow_http = true
                secret_env = "OPINE_TEST_WEBHOOK_SECRET"
                events = ["case.received", "case.emergency", "case.triaged", "case.reviewed", "case.information_requested", "case.responded", "case.withdrawn", "bundle.rejected"]
                """)
        try sandbox.startDaemon()
        let service = try UploadServer(drop: sandbox.drop, port: port, webhookSecret: Receiver.secret, start: false)
        let (plain, urgent, broken) = (Self.planted("real"), Self.planted("red-flag"), Self.planted("real-broken"))
        for planted in [plain, urgent, broken] { try service.plant(planted) }
        try service.start()

        try sandbox.drop(BundleBuilder(submissionID: plain.submissionID), as: plain.bundleName)
        try sandbox.drop(BundleBuilder(submissionID: urgent.submissionID, symptoms: ["sciatica", "bowel_bladder_dysfunction"]), as: urgent.bundleName)
        var bad = BundleBuilder(submissionID: broken.submissionID)
        bad.files[0].data.append(contentsOf: [0x0A])
        bad.manifest["files"] = BundleBuilder(submissionID: broken.submissionID).listedFiles()
        try sandbox.drop(bad, as: broken.bundleName)

        for (planted, expected) in [(plain, "received"), (urgent, "received"), (broken, "refused")] {
            try Self.waitForStatus(service, planted.token, expected)
        }
        #expect(try service.get("/api/status/\(urgent.token)").json["emergency"] as? Bool == true)
        #expect(try service.get("/api/status/\(plain.token)").json["emergency"] as? Bool == false)
        let refusal = try #require(try service.get("/api/status/\(broken.token)").json["refusal"] as? [String: Any])
        #expect(refusal["code"] as? String != nil && refusal["entry"] as? String == "report.pdf", "\(refusal)")
        #expect(Sandbox.patientDataLeaks(in: service.log).isEmpty, "patient data reached opine-upload's log")
    }

    static func waitForStatus(_ service: UploadServer, _ token: String, _ expected: String) throws {
        var last = ""
        do {
            try waitUntil("the status turns \(expected)", seconds: 30) {
                last = try service.get("/api/status/\(token)").json["status"] as? String ?? ""
                return last == expected
            }
        } catch {
            Issue.record("the status stayed \(last), not \(expected), for 30 s:\n\(service.log.suffix(2000))")
        }
    }
}
