import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A page template of the assets folder (`*.html`, never served as it is): `{{key}}` is replaced by the value
/// escaped for HTML, `{{{key}}}` by markup the service made itself. Whatever a patient typed or named only ever goes
/// through `{{key}}`.
struct PageTemplate: Sendable {
    /// The template's text.
    let text: String

    /// Fills in the placeholders; an unknown key becomes empty, so a missing value never shows its placeholder.
    func render(_ values: [String: String], markup: [String: String] = [:]) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 1024)
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            let raw = rest[open.upperBound...].hasPrefix("{")
            let closing = raw ? "}}}" : "}}"
            let keyStart = raw ? rest.index(after: open.upperBound) : open.upperBound
            guard let close = rest[keyStart...].range(of: closing) else {
                output += rest[open.lowerBound...]
                return output
            }
            let key = rest[keyStart..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            output += raw ? markup[key] ?? "" : Self.escape(values[key] ?? "")
            rest = rest[close.upperBound...]
        }
        output += rest
        return output
    }

    /// `text` safe inside HTML text and double- or single-quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension Assets {
    /// The template `name` of the assets folder; a missing one is a broken install, said in the page itself.
    func template(_ name: String) -> PageTemplate {
        PageTemplate(text: text(name) ?? "<!doctype html><title>Opine</title><p>This page is missing from the installation ({{name}}).</p>")
    }
}

extension Response {
    /// An HTML page.
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
