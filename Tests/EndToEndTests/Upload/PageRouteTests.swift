import Crypto
import Foundation
import Testing

/// The patients' pages as the running `opine-upload` serves them: the request page under its strict policy with its
/// CSRF cookie, labels for every input, the receipt and the status page in words, and a plain 404 for an unknown link.
@Suite("Upload pages: the request page, the receipt and the status page")
struct PageRouteTests {
    @Test("The request page sets the CSRF cookie as the contract says, echoes it in its meta, and keeps it")
    func csrfCookie() async throws {
        let server = try await PageServer.start()
        let first = try await server.get("/")
        #expect(first.status == 200)
        let cookie = try #require(first.headers["set-cookie"])
        let value = try #require(cookie.split(separator: ";").first.map { String($0.dropFirst("opine_csrf=".count)) })
        #expect(cookie.hasPrefix("opine_csrf="))
        #expect(value.count == 43)
        for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute)) }
        #expect(first.body.contains("<meta name=\"opine-csrf\" content=\"\(value)\">"))
        let again = try await server.get("/", headers: ["Cookie": "opine_csrf=\(value)"])
        #expect(again.headers["set-cookie"] == nil)
        #expect(again.body.contains("content=\"\(value)\""))
    }

    @Test("The page holds no inline script or style, loads only its own assets, and labels every input")
    func strictAndLabelled() async throws {
        let server = try await PageServer.start()
        let page = try await server.get("/")
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        let html = page.body
        #expect(!html.contains(" style="))
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
        #expect(html.range(of: #"<script(?![^>]*\bsrc="/assets/)"#, options: .regularExpression) == nil)
        #expect(html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression) == nil)
        #expect(html.contains("<meta name=\"viewport\""))
        #expect(html.contains("<noscript>"))
        let ids = Self.matches(#"<(?:input|textarea)[^>]*\bid="([^"]+)""#, in: html)
        #expect(ids.count >= 20)
        for id in ids { #expect(html.contains("<label for=\"\(id)\""), "input \(id) has no label") }
        #expect(html.contains(#"value="saddle_numbness" data-emergency="true""#))
        #expect(html.contains(#"id="emergency" class="alert emergency" role="alert""#))
        let js = try await server.get("/assets/upload.js")
        #expect(js.status == 200)
        #expect(js.headers["content-type"]?.hasPrefix("text/javascript") == true)
        #expect(try await server.get("/assets/request.html").status == 404)
    }

    @Test("The practice's consent text and phone are shown escaped")
    func consentEscaped() async throws {
        let server = try await PageServer.start(
            extraConfiguration: "[page]\nconsent_text = \"I agree <b>& consent</b> to \\\"review\\\" of my images\"\npractice_phone = \"+1 405 555 0199\"")
        let html = try await server.get("/").body
        #expect(html.contains("I agree &lt;b&gt;&amp; consent&lt;/b&gt; to &quot;review&quot; of my images"))
        #expect(html.contains("+1 405 555 0199"))
    }

    @Test("The receipt shows the reference and the status link; the status page says what happened, in words")
    func receiptAndStatus() async throws {
        let server = try await PageServer.start()
        let token = "tok_" + String(repeating: "A", count: 39)
        try Self.writeSubmission(server, token: token, status: "received", emergency: true)
        let receipt = try await server.get("/receipt/\(token)")
        #expect(receipt.status == 200)
        #expect(receipt.body.contains("7K3M-9Q2D"))
        #expect(receipt.body.contains("\(server.base)/status/\(token)"))
        #expect(receipt.body.contains("role=\"alert\""))
        let status = try await server.get("/status/\(token)")
        #expect(status.body.contains("Received — emergency, seen first"))
        #expect(status.body.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        #expect(!server.serviceLog.contains(token))
    }

    @Test("A refusal names the file, escaped, says what to do and links back to the page")
    func refusal() async throws {
        let server = try await PageServer.start()
        let token = String(repeating: "r", count: 43)
        try Self.writeSubmission(
            server, token: token, status: "refused", emergency: false,
            extra: #", "refusalCode": "checksum_mismatch", "refusalEntry": "MRI/<img src=x>.pdf", "rejectionID": "R-20261201-3f9a0c2e71d4""#)
        let page = try await server.get("/status/\(token)").body
        #expect(page.contains("The file ‘MRI/&lt;img src=x&gt;.pdf’ arrived damaged or incomplete: please upload it again."))
        #expect(page.contains("<a class=\"button\" href=\"/\">Send it again</a>"))
        #expect(page.contains("R-20261201-3f9a0c2e71d4"))
        #expect(!page.contains("<img"))
    }

    @Test("An unknown, malformed or cut-short link is a plain 404 page")
    func unknownToken() async throws {
        let server = try await PageServer.start()
        for path in ["/status/" + String(repeating: "x", count: 43), "/receipt/short", "/status/..%2F..%2Fetc"] {
            let answer = try await server.get(path)
            #expect(answer.status == 404, "\(path)")
            #expect(answer.body.contains("This link does not open a request"), "\(path)")
        }
    }

    /// Writes a submission record and its status link as the submit route would (docs/upload.md; SubmissionBook).
    static func writeSubmission(_ server: PageServer, token: String, status: String, emergency: Bool, extra: String = "") throws {
        let id = "web-test-1"
        let record = """
            {"submissionID": "\(id)", "reference": "7K3M-9Q2D", "bundleName": "web-test-1", "uploadDigest": "0123456789ab",
             "emergency": \(emergency), "submittedAt": "2026-12-01T18:00:00Z", "status": "\(status)",
             "updatedAt": "2026-12-01T18:05:00Z"\(extra)}
            """
        try record.write(to: server.state.appendingPathComponent("submissions/\(id).json"), atomically: true, encoding: .utf8)
        let hash = SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
        try id.write(to: server.state.appendingPathComponent("tokens/\(hash)"), atomically: true, encoding: .utf8)
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}
