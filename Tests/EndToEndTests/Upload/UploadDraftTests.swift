import Foundation
import OpineTestSupport
import Testing

@Suite("opine-upload's drafts: expiry together, one report, exactly the files picked, repeated creation and submit, free space")
struct UploadDraftTests {
    /// The answers with the page's list of upload ids.
    static func answers(uploads: [String]) -> String {
        #"{"uploads": ["# + uploads.map { "\"\($0)\"" }.joined(separator: ", ") + "], " + UploadBrowser.answers.drop { $0 != "{" }.dropFirst()
    }

    static func id(_ location: String) -> String { String(location.split(separator: "/").last!) }

    @Test("A finished file does not expire while another file of the request is still being sent; both go in the bundle")
    func finishedFileLivesWithDraft() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_UPLOADS_EXPIRE_AFTER_HOURS": "0.001"])
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let first = Array(Samples.dicom("first", size: 2000)), second = Array(Samples.dicom("second", size: 2000))
        try browser.send(draft: draft, path: "DICOM/IM1", first)
        let finishedAt = Date()
        let location = try browser.upload(draft: draft, path: "DICOM/IM2", length: second.count)
        var offset = 0
        // The second file goes on in small pieces until the first has been idle for twice the expiry (3.6 s).
        try waitUntil("the finished file has been idle twice the expiry", seconds: 60) {
            let reply = try browser.patch(location, offset: offset, [second[offset]])
            guard reply.status == 204 else { throw HTTPClientError("the second file's PATCH: \(reply.status) \(reply.text)") }
            offset += 1
            return Date().timeIntervalSince(finishedAt) > 8
        }
        #expect(try browser.patch(location, offset: offset, Array(second[offset...])).status == 204)
        let reply = try browser.submit(draft)
        #expect(reply.status == 201, "\(reply.text)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: server.drop.path)
        #expect(bundles.count == 1)
        let study = server.drop.appendingPathComponent(bundles.first ?? "none").appendingPathComponent("DICOM")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: study.path).sorted()) == ["IM1", "IM2"])
    }

    @Test("A second report in a draft is refused with 409 unless the first was terminated")
    func oneReport() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let first = try browser.upload(draft: draft, role: "report", path: "report.pdf", length: 100)
        let second = try browser.create(draft: draft, role: "report", path: "letter.pdf", length: 100)
        #expect(second.status == 409 && (second.json["error"] as? String)?.contains("already has a report") == true)
        #expect(try server.request("DELETE", first, headers: browser.tus).status == 204)
        #expect(try browser.create(draft: draft, role: "report", path: "letter.pdf", length: 100).status == 201)
    }

    @Test("Submit packs exactly the listed uploads, refuses a missing one with 409, and removes the ones not listed")
    func exactPick() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let picked = try browser.upload(draft: draft, path: "DICOM/IM1", length: 2000)
        #expect(try browser.patch(picked, offset: 0, Array(Samples.dicom("picked", size: 2000))).status == 204)
        let old = try browser.upload(draft: draft, path: "OLD/IM9", length: 2000)
        let missing = try browser.submit(draft, answers: Self.answers(uploads: [Self.id(picked), String(repeating: "0", count: 32)]))
        #expect(missing.status == 409 && (missing.json["error"] as? String)?.contains("1 file is missing") == true)
        let reply = try browser.submit(draft, answers: Self.answers(uploads: [Self.id(picked)]))
        #expect(reply.status == 201, "\(reply.text)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: server.drop.path)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: server.drop.appendingPathComponent((bundles.first ?? "none") + "/manifest.json"))) as? [String: Any]
        #expect((manifest?["files"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["DICOM/IM1"])
        #expect(try browser.head(old).status == 404)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
    }

    @Test("A creation repeated after a lost answer gets the same upload (201, same Location) and its offset; HEAD gives the same")
    func repeatedCreation() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let first = try browser.create(draft: draft, path: "DICOM/IM1", length: 10)
        let location = try #require(first.headers["location"])
        #expect(first.status == 201 && first.headers["upload-offset"] == "0")
        #expect(try browser.patch(location, offset: 0, [1, 2, 3, 4]).status == 204)
        let again = try browser.create(draft: draft, path: "DICOM/IM1", length: 10)
        #expect(again.status == 201 && again.headers["location"] == location && again.headers["upload-expires"] != nil)
        #expect(again.headers["upload-offset"] == "4", "the page goes on from there without asking HEAD")
        #expect(try browser.head(location).headers["upload-offset"] == "4")
        #expect(try browser.create(draft: draft, path: "DICOM/IM1", length: 11).status == 409)
        #expect(try UploadBrowser(server).create(draft: draft, path: "DICOM/IM1", length: 10).status == 403)
    }

    @Test("A submit repeated by the same browser answers 201 with the same reference and a fresh status link; one bundle")
    func repeatedSubmit() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        try browser.send(draft: draft, path: "DICOM/IM1", Array(Samples.dicom("once", size: 2000)))
        let first = try browser.submit(draft)
        #expect(first.status == 201, "\(first.text)")
        #expect(try UploadBrowser(server).submit(draft).status == 403)
        let again = try browser.submit(draft)
        #expect(again.status == 201 && again.json["reference"] as? String == first.json["reference"] as? String)
        let links = [first, again].compactMap { $0.json["status_url"] as? String }
        #expect(links.count == 2 && links[0] != links[1])
        for link in links {
            let status = try server.request("GET", "/api" + link)
            #expect(status.status == 200 && status.json["reference"] as? String == first.json["reference"] as? String)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.drop.path).count == 1)
    }

    @Test("While a PATCH holds an upload, another gets 423 with the current Upload-Offset")
    func busyOffset() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let location = try browser.upload(draft: try browser.draft(), path: "IM1", length: 100_000)
        #expect(try browser.patch(location, offset: 0, [UInt8](repeating: 7, count: 500)).status == 204)
        let connection = try RawConnection(port: server.port)
        var head = "PATCH \(location) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 90000\r\nUpload-Offset: 500\r\n"
        head += "Content-Type: application/offset+octet-stream\r\n"
        for (name, value) in browser.tus { head += "\(name): \(value)\r\n" }
        try connection.send(Array((head + "\r\n").utf8) + [UInt8](repeating: 7, count: 1000))
        var busy: HTTPReply?
        try waitUntil("the first PATCH holds the upload", seconds: 20) {
            busy = try browser.patch(location, offset: 99_999, [1])
            return busy?.status == 423
        }
        #expect(busy?.headers["upload-offset"] == "500")
        withExtendedLifetime(connection) {}
    }

    @Test("Creation is refused with 507 and a sentence when the staging file system lacks the upload's length plus 1 GiB")
    func freeSpaceFloor() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_LIMITS_MAX_FILE_BYTES": "1 TiB", "OPINE_UPLOAD_LIMITS_MAX_REQUEST_BYTES": "1 TiB"])
        let browser = UploadBrowser(server)
        let refused = try browser.create(draft: try browser.draft(), path: "IM1", length: 1 << 40)
        #expect(refused.status == 507 && (refused.json["error"] as? String)?.contains("out of room") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
    }

    @Test("After a crash between a submission's record and the end of its submit, start-up finishes the draft or frees it")
    func crashRepair() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let (kept, handed) = (try browser.draft(), try browser.draft())
        for draft in [kept, handed] { try browser.send(draft: draft, path: "DICOM/IM1", Array(Samples.dicom(draft, size: 2000))) }
        server.stop()
        let drafts = server.state.appendingPathComponent("drafts")
        for (draft, id) in [(kept, "web-kept0001"), (handed, "web-sent0001")] {
            let binding = try JSONSerialization.jsonObject(with: Data(contentsOf: drafts.appendingPathComponent(draft + ".json"))) as? [String: Any]
            let mark = #"{"draft": "\#(draft)", "binding": "\#(binding?["binding"] as? String ?? "")", "submissionID": "\#(id)", "sentAt": "2026-12-01T18:00:00Z"}"#
            try mark.write(to: server.state.appendingPathComponent("sent/\(draft).json"), atomically: true, encoding: .utf8)
        }
        // The kept draft's bundle never left staging; the other's did (it is not there).
        try FileManager.default.createDirectory(at: server.state.appendingPathComponent("staging/bundles/web-kept0001/web-kept0001"), withIntermediateDirectories: true)
        try "{}".write(to: server.state.appendingPathComponent("submissions/web-kept0001.json"), atomically: true, encoding: .utf8)
        try server.restart()
        #expect(!FileManager.default.fileExists(atPath: server.state.appendingPathComponent("submissions/web-kept0001.json").path))
        let again = try browser.submit(kept)
        #expect(again.status == 201 && (again.json["reference"] as? String)?.isEmpty == false, "\(again.text)")
        #expect(try browser.submit(handed).status == 404)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
    }

    @Test("A bundle that cannot be renamed into drop (the folder gone) loses no file: the request is sent once drop is back")
    func renameFailureKeepsFiles() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let image = Array(Samples.dicom("rename-fails", size: 3000))
        try browser.send(draft: draft, path: "DICOM/IM1", image)
        try browser.send(draft: draft, role: "report", path: "report.pdf", Array(Samples.pdf))
        try FileManager.default.removeItem(at: server.drop)
        #expect(try browser.submit(draft).status == 500)
        try FileManager.default.createDirectory(at: server.drop, withIntermediateDirectories: true)
        let reply = try browser.submit(draft)
        #expect(reply.status == 201, "\(reply.text)")
        let listed = try TusProtocolTests.listedDigests(server)
        #expect(listed.count == 2 && listed["DICOM/IM1"] == Samples.sha256(image))
    }
}
