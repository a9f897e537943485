import Foundation
import HTTPTypes
import Hummingbird
import OpineCore

/// A refusal from `/api/…`: the contract's JSON `{"error", "field"}` with its status and any headers it needs
/// (`Retry-After`, `Tus-Resumable`). Thrown by the routes; Hummingbird turns it into the response.
struct APIFailure: HTTPResponseError {
    /// The status.
    var status: HTTPResponse.Status
    /// A sentence for the patient: the problem and what to do.
    var sentence: String
    /// The form field at fault, when there is one.
    var field: String?
    /// Extra headers.
    var headers: HTTPFields = [:]

    init(_ status: Int, _ sentence: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = HTTPResponse.Status(code: status)
        self.sentence = sentence
        self.field = field
        self.headers = headers
    }

    /// A Core refusal, with the headers given.
    init(_ refusal: TusPolicy.Refusal, headers: HTTPFields = [:]) {
        self.init(refusal.status, refusal.sentence, headers: headers)
    }

    /// A refusal of the page's answers, beside the field at fault.
    init(_ refusal: PageAnswers.Refusal) {
        self.init(refusal.status, refusal.sentence, field: refusal.field)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: String] = ["error": sentence]
        if let field { body["field"] = field }
        return APIFailure.json(body, status: status, headers: headers)
    }

    /// A JSON response of `value` (keys sorted) with `status`.
    static func json(_ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
