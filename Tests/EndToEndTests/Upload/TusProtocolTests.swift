import Foundation
import OpineTestSupport
import Testing

@Suite("opine-upload's tus: creation, HEAD, resuming, wrong offsets and checksums, lengths, expiry, termination")
struct TusProtocolTests {
    @Test("Discovery names the extensions; a request without Tus-Resumable is refused with 412")
    func discovery() throws {
        let server = try UploadServer()
        let options = try server.request("OPTIONS", "/api/uploads")
        #expect(options.headers["tus-extension"] == "creation,termination,expiration,checksum")
        #expect(options.headers["tus-checksum-algorithm"] == "sha256" && options.headers["tus-version"] == "1.0.0")
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        var headers = browser.csrf
        headers["Upload-Length"] = "5"
        headers["Upload-Metadata"] = UploadBrowser.metadata(draft: draft, role: "study", path: "IM1")
        #expect(try server.request("POST", "/api/uploads", headers: headers).status == 412)
    }

    @Test("An upload resumes at the offset HEAD gives; a PATCH at another offset is refused with 409")
    func resume() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let bytes = Array(Samples.dicom("resume", size: 4000))
        let location = try browser.upload(draft: try browser.draft(), path: "DICOM/IM1", length: bytes.count)
        let created = try browser.head(location)
        #expect(created.status == 200 && created.headers["upload-offset"] == "0" && created.headers["upload-length"] == "4000")
        #expect(created.headers["upload-expires"]?.hasSuffix(" GMT") == true && created.headers["tus-resumable"] == "1.0.0")
        let first = try browser.patch(location, offset: 0, Array(bytes[..<1500]))
        #expect(first.status == 204 && first.headers["upload-offset"] == "1500")
        #expect(try browser.head(location).headers["upload-offset"] == "1500")
        let lie = try browser.patch(location, offset: 1000, Array(bytes[1000..<2000]))
        #expect(lie.status == 409)
        #expect(try browser.head(location).headers["upload-offset"] == "1500")
        #expect(try browser.patch(location, offset: 1500, Array(bytes[1500...]), checksumOf: Array(bytes[1500...])).status == 204)
        let stored = try [UInt8](Data(contentsOf: server.uploads.appendingPathComponent(String(location.split(separator: "/").last!))))
        #expect(stored == bytes)
    }

    @Test("A chunk whose checksum does not match is refused with 460 and its bytes are discarded")
    func wrongChecksum() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let location = try browser.upload(draft: try browser.draft(), path: "IM1", length: 100)
        #expect(try browser.patch(location, offset: 0, Array(repeating: 1, count: 40)).status == 204)
        let wrong = try browser.patch(location, offset: 40, Array(repeating: 2, count: 30), checksumOf: Array(repeating: 3, count: 30))
        #expect(wrong.status == 460 && wrong.headers["tus-resumable"] == "1.0.0")
        #expect(try browser.head(location).headers["upload-offset"] == "40")
        let file = server.uploads.appendingPathComponent(String(location.split(separator: "/").last!))
        #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) == 40)
    }

    @Test("A chunk past the declared length, or the wrong content type, is refused (413, 415) and nothing is written")
    func pastLength() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let location = try browser.upload(draft: try browser.draft(), path: "IM1", length: 10)
        #expect(try browser.patch(location, offset: 0, Array(repeating: 1, count: 11)).status == 413)
        var headers = browser.tus
        headers["Upload-Offset"] = "0"
        headers["Content-Type"] = "application/json"
        #expect(try server.request("PATCH", location, headers: headers, body: [1]).status == 415)
        #expect(try browser.head(location).headers["upload-offset"] == "0")
    }

    @Test("A connection dropped mid-PATCH keeps what arrived, and HEAD gives the new offset")
    func droppedConnection() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let location = try browser.upload(draft: try browser.draft(), path: "IM1", length: 100_000)
        let connection = try RawConnection(port: server.port)
        var head = "PATCH \(location) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\nUpload-Offset: 0\r\n"
        head += "Content-Type: application/offset+octet-stream\r\n"
        for (name, value) in browser.tus { head += "\(name): \(value)\r\n" }
        try connection.send(Array((head + "\r\n").utf8) + [UInt8](repeating: 7, count: 30000))
        // A second PATCH while the first holds the upload is refused (one at an offset that can never be taken, so a
        // probe that arrives before the first PATCH changes nothing).
        try waitUntil("the first PATCH holds the upload", seconds: 20) { try browser.patch(location, offset: 99_999, [1]).status == 423 }
        connection.close()
        try waitUntil("HEAD gives the bytes that arrived", seconds: 20) { try browser.head(location).headers["upload-offset"] == "30000" }
    }

    @Test("An idle upload expires: HEAD gives 404 and its bytes are gone")
    func expiry() throws {
        let server = try UploadServer(environment: ["OPINE_UPLOAD_UPLOADS_EXPIRE_AFTER_HOURS": "0.001"])
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let location = try browser.upload(draft: draft, path: "IM1", length: 100)
        #expect(try browser.patch(location, offset: 0, Array(repeating: 1, count: 50)).status == 204)
        let file = server.uploads.appendingPathComponent(String(location.split(separator: "/").last!))
        let log = server.state.appendingPathComponent("drafts/\(draft).uploads")
        #expect(FileManager.default.fileExists(atPath: log.path), "the draft's log describes its uploads")
        try waitUntil("the upload expires", seconds: 20) { try browser.head(location).status == 404 }
        #expect(!FileManager.default.fileExists(atPath: file.path) && !FileManager.default.fileExists(atPath: log.path))
        #expect(try browser.patch(location, offset: 50, [1]).status == 404)
    }

    @Test("Termination removes the upload and its bytes")
    func termination() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let location = try browser.upload(draft: try browser.draft(), path: "IM1", length: 100)
        #expect(try browser.patch(location, offset: 0, Array(repeating: 1, count: 50)).status == 204)
        #expect(try server.request("DELETE", location, headers: browser.tus).status == 204)
        #expect(try browser.head(location).status == 404)
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.uploads.path).isEmpty)
    }

    @Test("An upload resumes across a restart of the service: HEAD gives the offset its bytes reached")
    func resumeAfterRestart() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let bytes = Array(Samples.dicom("restart", size: 2000))
        let draft = try browser.draft()
        let location = try browser.upload(draft: draft, path: "DICOM/IM1", length: bytes.count)
        #expect(try browser.patch(location, offset: 0, Array(bytes[..<800])).status == 204)
        try server.restart()
        #expect(try browser.head(location).headers["upload-offset"] == "800")
        #expect(try browser.patch(location, offset: 800, Array(bytes[800...])).status == 204)
        #expect(try browser.create(draft: draft, path: "DICOM/IM2", length: 10).status == 201)
    }

    @Test("A description cut short by a crash is passed over at start; uploads before and after it resume, and the bundle lists every file's own SHA-256")
    func tornDescription() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let first = Array(Samples.dicom("torn-first", size: 3000))
        let second = Array(Samples.dicom("torn-second", size: 2000))
        let draft = try browser.draft()
        let location = try browser.upload(draft: draft, path: "DICOM/IM1", length: first.count)
        #expect(try browser.patch(location, offset: 0, Array(first[..<1000])).status == 204)
        server.stop()
        try Self.appendToLog(server, draft: draft, #"{"createdAt":"2026-12-01T00:00:00Z","draft":""#)
        try server.start()
        #expect(try browser.head(location).headers["upload-offset"] == "1000")
        // Described after the torn line: on a line of its own, so it too survives the next restart.
        let later = try browser.upload(draft: draft, path: "DICOM/IM2", length: second.count)
        try server.restart()
        #expect(try browser.head(later).headers["upload-offset"] == "0")
        // One checked PATCH of the whole file: the pack lists the digest the PATCH checked; two PATCHes: it hashes.
        #expect(try browser.patch(later, offset: 0, second, checksumOf: second).status == 204)
        #expect(try browser.patch(location, offset: 1000, Array(first[1000...]), checksumOf: Array(first[1000...])).status == 204)
        #expect(try browser.submit(draft).status == 201)
        let listed = try Self.listedDigests(server)
        #expect(listed["DICOM/IM1"] == Samples.sha256(first))
        #expect(listed["DICOM/IM2"] == Samples.sha256(second))
    }

    @Test("A last description whose newline a crash lost is kept, and the next one starts a line of its own")
    func lostNewline() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let location = try browser.upload(draft: draft, path: "DICOM/IM1", length: 100)
        server.stop()
        let log = server.state.appendingPathComponent("drafts/\(draft).uploads")
        let lines = try Data(contentsOf: log)
        #expect(lines.last == 0x0A)
        try lines.dropLast().write(to: log)
        try server.start()
        #expect(try browser.head(location).headers["upload-offset"] == "0")
        let later = try browser.upload(draft: draft, path: "DICOM/IM2", length: 100)
        try server.restart()
        #expect(try browser.head(location).status == 200 && browser.head(later).status == 200)
    }

    @Test("A draft's log is rewritten once most of it describes terminated uploads; what is live resumes after a restart")
    func logCompaction() throws {
        let server = try UploadServer()
        let browser = UploadBrowser(server)
        let draft = try browser.draft()
        let kept = try browser.upload(draft: draft, path: "DICOM/KEPT", length: 100)
        #expect(try browser.patch(kept, offset: 0, Array(repeating: 7, count: 40)).status == 204)
        for index in 0..<100 {
            let location = try browser.upload(draft: draft, path: "DICOM/IM\(index)", length: 100)
            #expect(try server.request("DELETE", location, headers: browser.tus).status == 204)
        }
        let log = try Data(contentsOf: server.state.appendingPathComponent("drafts/\(draft).uploads"))
        #expect(log.split(separator: 0x0A).count <= 35, "101 uploads described, 1 live")
        try server.restart()
        #expect(try browser.head(kept).headers["upload-offset"] == "40")
    }

    static func appendToLog(_ server: UploadServer, draft: String, _ text: String) throws {
        let log = try FileHandle(forWritingTo: server.state.appendingPathComponent("drafts/\(draft).uploads"))
        try log.seekToEnd()
        try log.write(contentsOf: Data(text.utf8))
        try log.close()
    }

    /// The bundle in drop's manifest: each listed path's SHA-256.
    static func listedDigests(_ server: UploadServer) throws -> [String: String] {
        let bundle = try #require(try FileManager.default.contentsOfDirectory(atPath: server.drop.path).first)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: server.drop.appendingPathComponent(bundle + "/manifest.json"))) as? [String: Any]
        return (manifest?["files"] as? [[String: Any]] ?? []).reduce(into: [:]) { $0[$1["path"] as? String ?? ""] = $1["sha256"] as? String }
    }
}
