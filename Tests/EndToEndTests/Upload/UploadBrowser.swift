import Crypto
import Foundation

/// One browser talking to an `UploadServer` as the page does: its own CSRF cookie, echoed in `X-Opine-CSRF`, and the
/// tus headers.
struct UploadBrowser {
    let server: UploadServer
    /// The `opine_csrf` cookie's value (43 base64url characters, as the page's `GET /` issues).
    let cookie: String

    init(_ server: UploadServer) {
        self.server = server
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        cookie = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The headers of a state-changing request from the page.
    var csrf: [String: String] { ["Cookie": "opine_csrf=\(cookie)", "X-Opine-CSRF": cookie, "Sec-Fetch-Site": "same-origin"] }
    /// The same with `Tus-Resumable`.
    var tus: [String: String] { csrf.merging(["Tus-Resumable": "1.0.0"]) { _, new in new } }

    /// `POST /api/drafts`.
    func newDraft() throws -> HTTPReply { try server.request("POST", "/api/drafts", headers: csrf) }

    /// A new draft's id, or a failed expectation.
    func draft() throws -> String {
        let reply = try newDraft()
        guard reply.status == 201, let id = reply.json["draft"] as? String else { throw HTTPClientError("draft: \(reply.status) \(reply.text)") }
        return id
    }

    /// `Upload-Metadata` for these values.
    static func metadata(draft: String, role: String, path: String) -> String {
        [("draft", draft), ("role", role), ("path", path)].map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
    }

    /// tus creation.
    func create(draft: String, role: String = "study", path: String, length: Int) throws -> HTTPReply {
        try server.request(
            "POST", "/api/uploads",
            headers: tus.merging(["Upload-Length": String(length), "Upload-Metadata": Self.metadata(draft: draft, role: role, path: path)]) { _, new in new })
    }

    /// tus creation; the upload's path (`/api/uploads/ID`), or a thrown failure.
    func upload(draft: String, role: String = "study", path: String, length: Int) throws -> String {
        let reply = try create(draft: draft, role: role, path: path, length: length)
        guard reply.status == 201, let location = reply.headers["location"] else { throw HTTPClientError("create: \(reply.status) \(reply.text)") }
        return location
    }

    /// One PATCH of `bytes` at `offset`, with a SHA-256 `Upload-Checksum` of `checksumOf` when given.
    func patch(_ location: String, offset: Int, _ bytes: [UInt8], checksumOf: [UInt8]? = nil) throws -> HTTPReply {
        var headers = tus.merging(["Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"]) { _, new in new }
        if let checksumOf { headers["Upload-Checksum"] = "sha256 " + Data(SHA256.hash(data: checksumOf)).base64EncodedString() }
        return try server.request("PATCH", location, headers: headers, body: bytes)
    }

    /// tus HEAD.
    func head(_ location: String) throws -> HTTPReply { try server.request("HEAD", location, headers: tus) }

    /// Sends a whole file in one PATCH; throws unless it is taken.
    func send(draft: String, role: String = "study", path: String, _ bytes: [UInt8]) throws {
        let location = try upload(draft: draft, role: role, path: path, length: bytes.count)
        let reply = try patch(location, offset: 0, bytes, checksumOf: bytes)
        guard reply.status == 204 else { throw HTTPClientError("patch: \(reply.status) \(reply.text)") }
    }

    /// The answers the page sends.
    static let answers = #"""
        {"patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "email": "jane@example.org", "phone": "+1 405 555 0100"},
         "consent": {"hipaa_authorization": true},
         "request": {"regions": ["lumbar"], "question": "Do I need surgery for this?", "symptoms": ["sciatica"]}}
        """#

    /// `POST /api/drafts/ID/submit`; building a bundle of thousands of files takes a while in a debug build.
    func submit(_ draft: String, answers: String = UploadBrowser.answers) throws -> HTTPReply {
        try server.request("POST", "/api/drafts/\(draft)/submit", headers: csrf.merging(["Content-Type": "application/json"]) { _, new in new }, body: Array(answers.utf8),
            timeoutSeconds: 300)
    }
}
