import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The double-submit CSRF check: the page's `GET /` sets the `opine_csrf` cookie (256 random bits) and repeats its
/// value in the page; every `POST`, `PATCH` and `DELETE` must send it back in `X-Opine-CSRF`. A cookie another site
/// cannot read, a header another site cannot set, and the browser's own `Sec-Fetch-Site` and `Origin` together keep
/// another site from acting in a patient's browser. Drafts are bound to the cookie's hash, so another browser gets 403.
enum CSRF {
    /// The cookie's name.
    static let cookieName = "opine_csrf"
    /// The header the page sends the value back in.
    static let header = HTTPField.Name("X-Opine-CSRF")!
    /// The route that is authenticated by its signature instead (opined's webhooks).
    static let exemptPath = "/hooks/opine"

    /// The value the page must repeat, and the `Set-Cookie` header to send when the browser had no valid cookie: call
    /// it from `GET /` and put `token` in `<meta name="opine-csrf">`.
    static func issue(for request: Request) -> (token: String, setCookie: String?) {
        if let existing = cookie(in: request) { return (existing, nil) }
        let token = SubmissionBook.newToken()
        return (token, "\(cookieName)=\(token); Secure; HttpOnly; SameSite=Strict; Path=/")
    }

    /// The request's `opine_csrf` cookie when it has the right form (43 base64url characters).
    static func cookie(in request: Request) -> String? {
        for line in request.headers[values: .cookie] {
            for pair in line.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix(cookieName + "=") else { continue }
                let value = String(trimmed.dropFirst(cookieName.count + 1))
                if value.utf8.count == 43, value.utf8.allSatisfy(SubmissionBook.isBase64URL) { return value }
            }
        }
        return nil
    }

    /// The hex SHA-256 of the request's cookie, which a draft is bound to; nil without a valid cookie.
    static func binding(of request: Request) -> String? { cookie(in: request).map(SubmissionBook.tokenHash) }

    /// Why a state-changing request is refused, or nil when it may go on.
    static func refusal(of request: Request) -> String? {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return "This request came from another site and was refused. Open the practice's page directly and try again."
        }
        if let origin = request.headers[.origin], !sameHost(origin: origin, host: request.head.authority) {
            return "This request came from another site and was refused. Open the practice's page directly and try again."
        }
        guard let cookie = cookie(in: request), let echoed = request.headers[header],
            Array(cookie.utf8).count == Array(echoed.utf8).count,
            zip(cookie.utf8, echoed.utf8).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            return "Your browser's session for this page is missing or out of date. Reload the page (your files resume) and try again."
        }
        return nil
    }

    private static func sameHost(origin: String, host: String?) -> Bool {
        guard let host, let url = URL(string: origin), let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased() || originHost.lowercased() == host.lowercased()
    }
}

/// Refuses every `POST`, `PATCH` and `DELETE` that fails the CSRF check with 403, except opined's webhooks.
struct CSRFCheck: RouterMiddleware {
    typealias Context = UploadRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .patch, .delete].contains(request.method), request.uri.path != CSRF.exemptPath else {
            return try await next(request, context)
        }
        if let sentence = CSRF.refusal(of: request) {
            var headers = HTTPFields()
            if request.uri.path.hasPrefix("/api/uploads") { headers[TusHeaders.resumable] = TusHeaders.version }
            throw APIFailure(403, sentence, headers: headers)
        }
        return try await next(request, context)
    }
}
