import Foundation
import HTTPTypes
import Hummingbird
import OpineCore

extension PageRoutes {
    /// `GET /add/TOKEN`: the add-files page of the request the token opens, with the request page's pickers and a
    /// note, and this browser's CSRF token; its form (`data-mode="supplement"`) sends to
    /// `POST /api/drafts/ID/supplement`. A refused or closed request takes no files: the status page says what to do.
    func addFilesPage(_ token: String, request: Request) async throws -> Response {
        guard let record = try await parts.submissions.record(token: token) else {
            return .html(parts.assets.template("not-found.html").render(["phone": phoneWords]), status: .notFound)
        }
        guard record.status.takesSupplements else {
            return Response(status: .seeOther, headers: [.location: "/status/" + token])
        }
        let csrf = CSRF.issue(for: request)
        let limits = parts.settings.limits
        let html = parts.assets.template("add.html").render([
            "csrf": csrf.token, "token": token, "reference": record.reference, "status_path": "/status/" + token, "phone": phoneWords,
            "max_files": "\(limits.maxFiles)", "max_file_bytes": "\(limits.maxFileBytes)", "max_request_bytes": "\(limits.maxRequestBytes)",
        ], markup: fileMarkup(report: "A radiologist's report (PDF, JPEG, PNG or text)", folder: "An MRI: the folder of the CD or disk"))
        var response = Response.html(html)
        if let cookie = csrf.setCookie { response.headers[.setCookie] = cookie }
        return response
    }
}
