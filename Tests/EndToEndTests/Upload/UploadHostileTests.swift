#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import OpineTestSupport
import Testing

@Suite("opine-upload against hostile clients: CSRF, other browsers, path tricks, limits, slow clients, many files")
struct UploadHostileTests {
    @Test("Without the CSRF header, with another value, from another site or another origin: 403")
    func csrf() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        var headers = browser.csrf
        headers["X-Opine-CSRF"] = nil
        #expect(try server.request("POST", "/api/drafts", headers: headers).status == 403)
        headers["X-Opine-CSRF"] = UploadBrowser(server).cookie
        #expect(try server.request("POST", "/api/drafts", headers: headers).status == 403)
        let refused = try server.request("POST", "/api/drafts", headers: browser.csrf.merging(["Sec-Fetch-Site": "cross-site"]) { _, new in new })
        #expect(refused.status == 403 && (refused.json["error"] as? String)?.isEmpty == false)
        #expect(try server.request("POST", "/api/drafts", headers: browser.csrf.merging(["Origin": "https://evil.example"]) { _, new in new }).status == 403)
        #expect(try server.request("POST", "/api/drafts", headers: browser.csrf.merging(["Origin": "http://127.0.0.1:\(server.port)"]) { _, new in new }).status == 201)
    }

    @Test("Another browser can neither add to a draft nor read or change its uploads: 403")
    func otherBrowser() throws {
        let server = try UploadServer()
        let owner = UploadBrowser(server), other = UploadBrowser(server)
        let draft = try owner.draft()
        let location = try owner.upload(draft: draft, path: "IM1", length: 10)
        #expect(try other.create(draft: draft, path: "IM2", length: 10).status == 403)
        #expect(try other.head(location).status == 403)
        #expect(try other.patch(location, offset: 0, [1]).status == 403)
        #expect(try other.submit(draft).status == 403)
    }

    @Test("Path tricks in the metadata are refused with 400 and nothing is written outside staging")
    func pathTricks() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        for path in ["../x", "../../../etc/cron.d/x", "/etc/passwd", "a\\b", ".hidden", "DICOM/.DS_Store", "a\u{0}b", "a\u{1B}b", "IM1.part", ""] {
            let reply = try browser.create(draft: draft, path: path, length: 10)
            #expect(reply.status == 400, "\(path.debugDescription): \(reply.status)")
        }
        #expect(try browser.create(draft: draft, role: "report", path: "scans/report.pdf", length: 10).status == 400)
        #expect(try browser.create(draft: draft, role: "report", path: "report.exe", length: 10).status == 400)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
        let top = try FileManager.default.contentsOfDirectory(atPath: server.root.path).sorted()
        #expect(top == ["opine-upload.log", "spool", "state", "upload.toml"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.drop.path).isEmpty)
    }

    @Test("Past the per-address request limit: 429 with Retry-After and a sentence")
    func requestLimit() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_LIMITS_REQUESTS_PER_HOUR": "3"])
        let browser = UploadBrowser(server)
        for _ in 0..<3 { #expect(try browser.newDraft().status == 201) }
        let refused = try browser.newDraft()
        #expect(refused.status == 429 && Int(refused.headers["retry-after"] ?? "") ?? 0 > 3000)
        #expect((refused.json["error"] as? String)?.contains("hour") == true)
    }

    @Test("Past the per-address byte limit, a PATCH is refused with 429 before it is written")
    func byteLimit() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_LIMITS_BYTES_PER_HOUR": "100 KiB"])
        let browser = UploadBrowser(server)
        let location = try browser.upload(draft: try browser.draft(), path: "IM1", length: 200_000)
        #expect(try browser.patch(location, offset: 0, Array(repeating: 1, count: 100_000)).status == 204)
        let refused = try browser.patch(location, offset: 100_000, Array(repeating: 1, count: 10_000))
        #expect(refused.status == 429 && refused.headers["retry-after"] != nil)
        #expect(try browser.head(location).headers["upload-offset"] == "100000")
    }

    @Test("Slow clients holding connections do not stop others being answered, and the idle timeout closes them")
    func slowClients() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_LIMITS_IDLE_TIMEOUT_SECONDS": "1"])
        var stalled: [RawConnection] = []
        for _ in 0..<40 {
            let connection = try RawConnection(port: server.port)
            try connection.send(Array("POST /api/drafts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le".utf8))
            stalled.append(connection)
        }
        #expect(try server.request("GET", "/healthz").status == 200)
        #expect(try UploadBrowser(server).newDraft().status == 201)
        try waitUntil("the idle timeout closes the stalled connections", seconds: 20) { stalled.allSatisfy { $0.isClosed() } }
    }

    @Test("Connections past limits.max_connections are closed at once; the service answers again when some close")
    func connectionCap() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_LIMITS_MAX_CONNECTIONS": "8"])
        var stalled: [RawConnection] = []
        for _ in 0..<12 {
            let connection = try RawConnection(port: server.port)
            try connection.send(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
            stalled.append(connection)
        }
        try waitUntil("the 4 connections past the cap are closed", seconds: 10) { stalled.filter { $0.isClosed() }.count == 4 }
        #expect((try? server.request("GET", "/healthz")) == nil, "a connection past the cap was answered")
        stalled.removeAll()
        try waitUntil("the service answers again", seconds: 10) { (try? server.request("GET", "/healthz"))?.status == 200 }
    }

    /// The default cap (opined's `intake.max_files`, 5,000), so the hostile client sends twice that; under a
    /// sanitizer, where every request is many times slower, the same check at a cap of 500.
    static let manyFilesCap = Sandbox.underSanitizer ? 500 : 5000

    @Test("10,000 tiny files in one request: the first limits.max_files (5,000) are taken and bundled, each one past it refused with 413 and nothing stored")
    func manyFiles() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_LIMITS_MAX_FILES": "\(Self.manyFilesCap)"])
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        for index in 0..<Self.manyFilesCap {
            try browser.send(draft: draft, path: "DICOM/S\(index / 500)/IM\(index)", Array(Samples.dicom("f\(index)", size: 400)))
        }
        var refusals: [Int: Int] = [:]
        for index in Self.manyFilesCap..<(2 * Self.manyFilesCap) {
            refusals[try browser.create(draft: draft, path: "DICOM/extra/IM\(index)", length: 400).status, default: 0] += 1
        }
        #expect(refusals == [413: Self.manyFilesCap], "every file past the cap is refused, none taken")
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).count == Self.manyFilesCap)
        let reply = try browser.submit(draft)
        #expect(reply.status == 201, "\(reply.text)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: server.drop.path)
        #expect(bundles.count == 1)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: server.drop.appendingPathComponent(bundles[0] + "/manifest.json"))) as? [String: Any]
        #expect((manifest?["files"] as? [Any])?.count == Self.manyFilesCap)
    }

    @Test("A full submit puts exactly one complete bundle into drop: every file listed with its size and SHA-256")
    func fullSubmit() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let files = ["DICOM/IM1": Array(Samples.dicom("a", size: 3000)), "DICOM/IM2": Array(Samples.dicom("b", size: 5000))]
        for (path, bytes) in files { try browser.send(draft: draft, path: path, bytes) }
        let report = Array(Samples.pdf)
        try browser.send(draft: draft, role: "report", path: "Jane Doe report.pdf", report)
        let unfinished = try browser.upload(draft: draft, path: "DICOM/IM3", length: 10)
        let waiting = try browser.submit(draft)
        #expect(waiting.status == 409 && (waiting.json["error"] as? String)?.contains("1 file") == true)
        #expect(try server.request("DELETE", unfinished, headers: browser.tus).status == 204)
        let refused = try browser.submit(draft, answers: UploadBrowser.answers.replacingOccurrences(of: "true", with: "false"))
        #expect(refused.status == 422 && refused.json["field"] as? String == "consent.hipaa_authorization")
        let reply = try browser.submit(draft)
        #expect(reply.status == 201, "\(reply.text)")
        let reference = reply.json["reference"] as? String ?? ""
        #expect(reference.count == 9 && (reply.json["status_url"] as? String)?.hasPrefix("/status/") == true)
        let bundles = try FileManager.default.contentsOfDirectory(atPath: server.drop.path)
        #expect(bundles == ["web-" + reference.replacingOccurrences(of: "-", with: "").lowercased()])
        let bundle = server.drop.appendingPathComponent(bundles[0])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: bundle.appendingPathComponent("manifest.json"))) as? [String: Any] ?? [:]
        let listed = manifest["files"] as? [[String: Any]] ?? []
        #expect(listed.count == 3)
        let expected = files.merging(["report.pdf": report]) { a, _ in a }
        for entry in listed {
            let path = entry["path"] as? String ?? ""
            guard let bytes = expected[path] else { Issue.record("unexpected file \(path) listed"); continue }
            #expect(entry["size"] as? Int == bytes.count)
            #expect(entry["sha256"] as? String == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
            #expect(try Data(contentsOf: bundle.appendingPathComponent(path)) == Data(bytes))
        }
        #expect((manifest["submission_id"] as? String) == bundles[0])
        let validate = Process()
        validate.executableURL = Sandbox.binaries.appendingPathComponent("opine")
        validate.arguments = ["validate", bundle.path]
        validate.standardOutput = FileHandle.nullDevice
        try validate.run()
        validate.waitUntilExit()
        #expect(validate.terminationStatus == 0, "opine validate refused the bundle the service made")
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.state.appendingPathComponent("drafts").path).isEmpty)
        let repeated = try browser.submit(draft)
        #expect(repeated.status == 201 && repeated.json["reference"] as? String == reference)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.drop.path) == bundles)
    }
}
