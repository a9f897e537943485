import Foundation
import OpineCore
import Testing

/// The patients' pages as the running `opine-upload` serves them: the request page under its strict policy with its
/// CSRF cookie, labels for every input, the receipt and the status page in words, and a plain 404 for an unknown link.
@Suite("Upload pages: the request page, the receipt and the status page")
struct PageRouteTests {
    @Test("The request page sets the CSRF cookie as the contract says, echoes it in its meta, and keeps it")
    func csrfCookie() throws {
        let server = try UploadServer()
        let first = try server.get("/")
        #expect(first.status == 200)
        let cookie = try #require(first.headers["set-cookie"])
        let value = try #require(cookie.split(separator: ";").first.map { String($0.dropFirst("opine_csrf=".count)) })
        #expect(cookie.hasPrefix("opine_csrf="))
        #expect(value.count == 43)
        for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute)) }
        #expect(first.text.contains("<meta name=\"opine-csrf\" content=\"\(value)\">"))
        let again = try server.get("/", headers: ["Cookie": "opine_csrf=\(value)"])
        #expect(again.headers["set-cookie"] == nil)
        #expect(again.text.contains("content=\"\(value)\""))
    }

    @Test("The page holds no inline script or style, loads only its own assets, and labels every input")
    func strictAndLabelled() throws {
        let server = try UploadServer()
        let page = try server.get("/")
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        let html = page.text
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
        let js = try server.get("/assets/upload.js")
        #expect(js.status == 200)
        #expect(js.headers["content-type"]?.hasPrefix("text/javascript") == true)
        #expect(try server.get("/assets/request.html").status == 404)
    }

    @Test("The practice's consent text and phone are shown escaped")
    func consentEscaped() throws {
        let server = try UploadServer(
            configuration: "[page]\nconsent_text = \"I agree <b>& consent</b> to \\\"review\\\" of my images\"\npractice_phone = \"+1 405 555 0199\"")
        let html = try server.get("/").text
        #expect(html.contains("I agree &lt;b&gt;&amp; consent&lt;/b&gt; to &quot;review&quot; of my images"))
        #expect(html.contains("+1 405 555 0199"))
    }

    @Test("The receipt shows the reference and the status link; the status page says what happened, in words")
    func receiptAndStatus() throws {
        let server = try UploadServer()
        let token = "tok_" + String(repeating: "A", count: 39)
        try server.plant(Self.submission(token: token, status: .received, emergency: true))
        let receipt = try server.get("/receipt/\(token)")
        #expect(receipt.status == 200)
        #expect(receipt.text.contains("7K3M-9Q2D"))
        #expect(receipt.text.contains("\(server.base)/status/\(token)"))
        #expect(receipt.text.contains("role=\"alert\""))
        let status = try server.get("/status/\(token)")
        #expect(status.text.contains("Received — emergency, seen first"))
        #expect(status.text.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        #expect(!server.log.contains(token))
    }

    @Test("A refusal names the file, escaped, says what to do and links back to the page")
    func refusal() throws {
        let server = try UploadServer()
        let token = String(repeating: "r", count: 43)
        var refused = Self.submission(token: token, status: .refused, emergency: false)
        refused.refusal = .init(code: "checksum_mismatch", entry: "MRI/<img src=x>.pdf", rejectionID: "R-20261201-3f9a0c2e71d4")
        try server.plant(refused)
        let page = try server.get("/status/\(token)").text
        #expect(page.contains("The file ‘MRI/&lt;img src=x&gt;.pdf’ arrived damaged or incomplete: please upload it again."))
        #expect(page.contains("<a class=\"button\" href=\"/\">Send it again</a>"))
        #expect(page.contains("R-20261201-3f9a0c2e71d4"))
        #expect(!page.contains("<img"))
    }

    @Test("An unknown, malformed or cut-short link is a plain 404 page")
    func unknownToken() throws {
        let server = try UploadServer()
        for path in ["/status/" + String(repeating: "x", count: 43), "/receipt/short", "/status/..%2F..%2Fetc"] {
            let answer = try server.get(path)
            #expect(answer.status == 404, "\(path)")
            #expect(answer.text.contains("This link does not open a request"), "\(path)")
        }
    }

    /// A submission and its status link as the submit route leaves them (docs/upload.md; SubmissionBook).
    static func submission(token: String, status: PatientStatus, emergency: Bool) -> UploadServer.Planted {
        .init(submissionID: "web-test-1", bundleName: "web-test-1", token: token, emergency: emergency, status: status)
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}
