import Foundation
import HTTPTypes
import Hummingbird
import OpineCore

/// The patients' pages: the request page (`GET /`), its assets, the receipt, the status page and the add-files page
/// (`PageRoutes+Add.swift`). Every page is rendered from a template of the assets folder; nothing a patient typed is
/// ever on them but their own upload's file name on a refusal, escaped.
struct PageRoutes: Sendable {
    let parts: ServiceParts

    /// Adds this group's routes to `router`.
    func register(on router: Router<UploadRequestContext>) {
        router.get("/") { request, _ in requestPage(request) }
        router.get("/assets/{name}") { request, context in
            parts.assets.response(name: try context.parameters.require("name"), request: request)
        }
        router.get("/receipt/{token}") { request, context in
            try await submissionPage(try context.parameters.require("token"), request: request, receipt: true)
        }
        router.get("/status/{token}") { request, context in
            try await submissionPage(try context.parameters.require("token"), request: request, receipt: false)
        }
        router.get("/add/{token}") { request, context in
            try await addFilesPage(try context.parameters.require("token"), request: request)
        }
    }

    /// The markup the request and add-files pages share: the report, folder and zip pickers with the left-out list
    /// (`file-pickers.html`, under the labels each page gives) and the sending progress (`progress.html`).
    func fileMarkup(report: String, folder: String) -> [String: String] {
        [
            "file_pickers": parts.assets.template("file-pickers.html").render(["report_label": report, "folder_label": folder]),
            "progress": parts.assets.template("progress.html").render([:]),
        ]
    }

    /// The request page, with this browser's CSRF token in its `<meta name="opine-csrf">` and cookie.
    func requestPage(_ request: Request) -> Response {
        let csrf = CSRF.issue(for: request)
        let html = parts.assets.template("request.html").render(
            [
                "csrf": csrf.token, "consent": parts.settings.consentText, "phone": phoneWords,
                "max_files": "\(parts.settings.limits.maxFiles)", "max_file_bytes": "\(parts.settings.limits.maxFileBytes)",
                "max_request_bytes": "\(parts.settings.limits.maxRequestBytes)",
            ],
            markup: [
                "symptoms": RequestPageMarkup.checkboxes(PageWords.symptoms, name: "symptoms"),
                "regions": RequestPageMarkup.checkboxes(PageWords.regions, name: "regions"),
                "treatments": RequestPageMarkup.checkboxes(PageWords.treatments, name: "prior_treatments"),
                "emergency": PageTemplate.escape(PatientStatusWords.emergencyWords),
            ].merging(fileMarkup(report: "The radiologist's report (PDF, JPEG, PNG or text)", folder: "The MRI: the folder of the CD or disk")) { $1 })
        var response = Response.html(html)
        if let cookie = csrf.setCookie { response.headers[.setCookie] = cookie }
        return response
    }

    /// The receipt or the status page of the submission `token` opens, or a plain 404 page.
    func submissionPage(_ token: String, request: Request, receipt: Bool) async throws -> Response {
        guard let record = try await parts.submissions.record(token: token) else {
            return .html(parts.assets.template("not-found.html").render(["phone": phoneWords]), status: .notFound)
        }
        let statusURL = publicBase(request) + "/status/" + token
        if receipt {
            return .html(
                parts.assets.template("receipt.html").render(
                    ["reference": record.reference, "status_url": statusURL, "status_path": "/status/" + token, "phone": phoneWords],
                    markup: ["emergency": record.emergency ? RequestPageMarkup.emergencyBox(PatientStatusWords.emergencyWords) : ""]))
        }
        let words = PatientStatusWords(
            status: record.status, emergency: record.emergency, refusalCode: record.refusalCode, refusalEntry: record.refusalEntry)
        return .html(
            parts.assets.template("status.html").render(
                [
                    "reference": record.reference, "headline": words.headline, "tone": words.tone.rawValue,
                    "status_url": statusURL, "phone": phoneWords, "updated": Self.timestamp(record.updatedAt),
                    "rejection_id": record.rejectionID.map { "Refusal number for the practice: \($0)." } ?? "",
                ],
                markup: [
                    "paragraphs": words.paragraphs.map { "<p>\(PageTemplate.escape($0))</p>" }.joined(separator: "\n"),
                    "emergency": words.emergencyNotice.map(RequestPageMarkup.emergencyBox) ?? "",
                    "send_again": words.offersSendAgain ? "<p><a class=\"button\" href=\"/\">Send it again</a></p>" : "",
                    "add_files": words.offersAddFiles
                        ? "<p><a class=\"button\" href=\"/add/\(PageTemplate.escape(token))\">Add files to this request</a></p>" : "",
                ]))
    }

    /// The practice's phone as a sentence, or a neutral one when the practice gave none.
    var phoneWords: String {
        parts.settings.practicePhone.isEmpty ? "the practice's usual number" : parts.settings.practicePhone
    }

    /// `page.public_url`, else the address this request came to (`https` when a trusted proxy says so).
    func publicBase(_ request: Request) -> String {
        if !parts.settings.publicURL.isEmpty { return String(parts.settings.publicURL.trimmingSuffix("/")) }
        let forwarded = parts.settings.trustProxy ? request.headers[HTTPField.Name("X-Forwarded-Proto")!] : nil
        let host = request.head.authority ?? "localhost"
        return (forwarded == "https" ? "https" : "http") + "://" + host
    }

    /// A time as the page shows it: `2026-12-01 18:45 UTC`.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
    }
}
