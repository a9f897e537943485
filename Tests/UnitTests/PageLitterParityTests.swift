import Foundation
import OpineCore
import Testing

/// The upload page leaves out what `opine pack` leaves out: its script's lists (Sources/OpineUpload/Assets/litter.js)
/// are Core's `Litter` lists, and it has words for every reason a name can give.
@Suite("Upload page litter lists match Core's Litter")
struct PageLitterParityTests {
    static let script: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/OpineUpload/Assets/litter.js")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The strings of `const NAME = new Set([...])` in the script, with JavaScript's `\r` escape read.
    static func set(_ name: String) -> Set<String> {
        guard let start = script.range(of: "const \(name) = new Set(["),
            let end = script[start.upperBound...].range(of: "])")
        else { return [] }
        let body = script[start.upperBound..<end.lowerBound]
        let regex = try! NSRegularExpression(pattern: #""((?:[^"\\]|\\.)*)""#)
        let text = String(body)
        return Set(
            regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
                Range($0.range(at: 1), in: text).map { String(text[$0]).replacingOccurrences(of: "\\r", with: "\r") }
            })
    }

    @Test("Every list of litter.js is Core's list")
    func listsMatch() {
        #expect(!Self.script.isEmpty)
        #expect(Self.set("systemFiles") == Litter.systemFiles)
        #expect(Self.set("systemFolders") == Litter.systemFolders)
        #expect(Self.set("viewerExtensions") == Litter.viewerExtensions)
        #expect(Self.set("viewerFolders") == Litter.viewerFolders)
        #expect(Self.set("bundleFiles") == Litter.bundleFiles)
    }

    @Test("The page has words for every reason a name or its bytes give")
    func reasonsWorded() {
        for reason in LitterReason.allCases where reason != .damaged {
            #expect(Self.script.contains("  \(reason.rawValue): \""), "litter.js has no words for \(reason.rawValue)")
        }
    }
}
