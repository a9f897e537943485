import Foundation
import OpineTestSupport
import Testing

/// Files added from the status page: the add-files page, and a supplement bundle naming the first submission, built
/// and renamed into the drop directory as a first submission is.
@Suite("opine-upload: adding files to a request already sent, as a supplement bundle")
struct SupplementTests {
    /// A first request (one image and a report) sent through the API; its status link's token and bundle name.
    static func firstRequest(_ browser: UploadBrowser) throws -> (token: String, bundle: String, reference: String) {
        let draft = try browser.draft()
        try browser.send(draft: draft, path: "DICOM/IM1", Array(Samples.dicom("first", size: 3000)))
        try browser.send(draft: draft, role: "report", path: "report.pdf", Array(Samples.pdf))
        let reply = try browser.submit(draft)
        try #require(reply.status == 201, "\(reply.text)")
        let status = try #require(reply.json["status_url"] as? String)
        let reference = try #require(reply.json["reference"] as? String)
        return (String(status.dropFirst("/status/".count)), "web-" + reference.replacingOccurrences(of: "-", with: "").lowercased(), reference)
    }

    /// `POST /api/drafts/ID/supplement` with `body`.
    static func addFiles(_ browser: UploadBrowser, draft: String, body: String) throws -> HTTPReply {
        try browser.server.request(
            "POST", "/api/drafts/\(draft)/supplement", headers: browser.csrf.merging(["Content-Type": "application/json"]) { _, new in new },
            body: Array(body.utf8), timeoutSeconds: 120)
    }

    static func manifest(_ bundle: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: bundle.appendingPathComponent("manifest.json"))) as? [String: Any])
    }

    static func validate(_ bundle: URL) throws -> Int32 {
        let validate = Process()
        validate.executableURL = Sandbox.binaries.appendingPathComponent("opine")
        validate.arguments = ["validate", bundle.path]
        validate.standardOutput = FileHandle.nullDevice
        validate.standardError = FileHandle.nullDevice
        try validate.run()
        validate.waitUntilExit()
        return validate.terminationStatus
    }

    @Test("The status page links to the add-files page; files and a note sent there become a supplement opine validate accepts")
    func addFiles() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let first = try Self.firstRequest(browser)
        let status = try server.request("GET", "/status/\(first.token)")
        #expect(status.text.contains("href=\"/add/\(first.token)\">Add files to this request</a>"))
        let page = try server.request("GET", "/add/\(first.token)", headers: ["Cookie": "opine_csrf=\(browser.cookie)"])
        #expect(page.status == 200 && page.text.contains("data-mode=\"supplement\"") && page.text.contains(first.reference))
        #expect(!page.text.contains("id=\"name\"") && !page.text.contains("id=\"consent\""), "no patient or consent fields")
        #expect(!page.text.contains(" style=") && page.text.range(of: #"<script(?![^>]*\bsrc="/assets/)"#, options: .regularExpression) == nil)
        let inputs = PageRouteTests.matches(#"<(?:input|textarea)[^>]*\bid="([^"]+)""#, in: page.text)
        #expect(inputs.count == 4)
        for id in inputs { #expect(page.text.contains("<label for=\"\(id)\""), "input \(id) has no label") }

        let draft = try browser.draft()
        let added = Array(Samples.dicom("second series", size: 4000))
        try browser.send(draft: draft, path: "MRI/IM1", added)
        let note = "The report of my second MRI is coming; here is the series."
        let reply = try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(first.token)", "request": {"question": "\#(note)"}}"#)
        #expect(reply.status == 201, "\(reply.text)")
        #expect(reply.json["status_url"] as? String == "/status/\(first.token)" && reply.json["reference"] as? String == first.reference)

        let bundle = server.drop.appendingPathComponent(first.bundle + "-s1")
        let manifest = try Self.manifest(bundle)
        #expect(manifest["supplements"] as? String == first.bundle && manifest["submission_id"] as? String == first.bundle + "-s1")
        #expect(manifest["patient"] == nil && manifest["consent"] == nil)
        #expect((manifest["request"] as? [String: Any])?["question"] as? String == note)
        #expect((manifest["files"] as? [[String: Any]])?.map { $0["path"] as? String } == ["MRI/IM1"])
        #expect(try Data(contentsOf: bundle.appendingPathComponent("MRI/IM1")) == Data(added))
        #expect(try Self.validate(bundle) == 0, "opine validate refused the supplement the service made")
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
        #expect(!server.log.contains(first.token) && !server.log.contains("second MRI"), "neither the token nor the note is logged")

        // A second supplement gets the next number; a note alone is enough.
        let noteOnly = try Self.addFiles(browser, draft: try browser.draft(), body: #"{"supplements_token": "\#(first.token)", "request": {"question": "Still weaker."}}"#)
        #expect(noteOnly.status == 201, "\(noteOnly.text)")
        #expect(try Self.validate(server.drop.appendingPathComponent(first.bundle + "-s2")) == 0)
    }

    @Test("An unknown link is 404, nothing to add is 422, and a refused request takes no files")
    func refusals() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let first = try Self.firstRequest(browser)
        let draft = try browser.draft()
        let unknown = try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(String(repeating: "x", count: 43))"}"#)
        #expect(unknown.status == 404 && (unknown.json["error"] as? String)?.isEmpty == false)
        let empty = try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(first.token)"}"#)
        #expect(empty.status == 422 && empty.json["field"] as? String == "files")
        #expect(try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(first.token)", "patient": {}}"#).status == 400)
        try browser.send(draft: draft, role: "report", path: "report.pdf", [0xFF, 0xFE, 0x00, 0x9C, 0x01, 0x02])
        let damaged = try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(first.token)"}"#)
        let sentence = damaged.json["error"] as? String ?? ""
        #expect(damaged.status == 422 && sentence.hasPrefix("The report could not be read") && !sentence.contains("/"), "in a patient's words, the service's own paths out: \(sentence)")
        #expect(damaged.json["field"] as? String == "report")
        #expect(try Self.addFiles(UploadBrowser(server), draft: draft, body: #"{"supplements_token": "\#(first.token)"}"#).status == 403)

        // opined refused the first upload: the status page offers "Send it again", never "Add files".
        let record = server.state.appendingPathComponent("submissions/\(first.bundle).json")
        var stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: record)) as? [String: Any])
        stored["status"] = "refused"
        try JSONSerialization.data(withJSONObject: stored).write(to: record)
        try browser.send(draft: draft, path: "MRI/IM1", Array(Samples.dicom("late", size: 3000)))
        let refused = try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(first.token)"}"#)
        #expect(refused.status == 409 && (refused.json["error"] as? String)?.contains("Send it again") == true)
        let status = try server.request("GET", "/status/\(first.token)").text
        #expect(status.contains("Send it again") && !status.contains("/add/"))
        let page = try server.request("GET", "/add/\(first.token)")
        #expect(page.status == 303 && page.headers["location"] == "/status/\(first.token)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.drop.path) == [first.bundle], "no supplement was made")
    }

    @Test("With a real opined, the request becomes a case and the added file joins it")
    func realOpined() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let server = try UploadServer(drop: sandbox.drop)
        let browser = UploadBrowser(server)
        let first = try Self.firstRequest(browser)
        try waitUntil("the request is a case", seconds: 30) { try sandbox.cases().count == 1 }
        let id = try #require(try sandbox.cases().first?["id"] as? String)

        let draft = try browser.draft()
        try browser.send(draft: draft, role: "report", path: "second-report.pdf", Array("%PDF-1.4\n% the second MRI's report\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8))
        let reply = try Self.addFiles(browser, draft: draft, body: #"{"supplements_token": "\#(first.token)"}"#)
        try #require(reply.status == 201, "\(reply.text)")
        var files: [[String: Any]] = []
        try waitUntil("the added report joins the case", seconds: 30) {
            files = try sandbox.opine("show", id, "--json").json()["files"] as? [[String: Any]] ?? []
            return files.contains { $0["supplement_id"] is NSNumber }
        }
        #expect(files.filter { $0["supplement_id"] is NSNumber }.compactMap { $0["path"] as? String } == ["report-2.pdf"])
        #expect(try sandbox.cases().count == 1, "no second case")
    }
}
