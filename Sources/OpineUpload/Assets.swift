import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import OpineCore

/// The page's own script, style and images, read once at start and served from memory with a content hash in their
/// ETag; nothing is ever loaded from another origin.
public struct Assets: Sendable {
    /// One asset's bytes and headers.
    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
        var etag: String
    }

    private let assets: [String: Asset]
    /// The folder they were read from.
    public let directory: String

    /// Reads every file of `directory` (not its subfolders); names are the URL names under `/assets/`.
    public init(directory: String) throws {
        self.directory = directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw StateFiles.Failure(description: "\(directory): the page's assets folder cannot be read; pass --assets DIR (the installed copy is PREFIX/share/opine/upload)")
        }
        var assets: [String: Asset] = [:]
        for name in names where !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            let bytes = Array(data)
            assets[name] = Asset(bytes: bytes, contentType: Self.contentType(name), etag: "\"\(Hex.lowercase(SHA256.hash(data: bytes).prefix(8)))\"")
        }
        self.assets = assets
    }

    /// The folder used when `--assets` is not given: the installed copy beside the binary, else the source tree's.
    public static func defaultDirectory(executable: String = CommandLine.arguments[0]) -> String {
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = binary.deletingLastPathComponent().appendingPathComponent("share/opine/upload").path
        if FileManager.default.fileExists(atPath: installed) { return installed }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Assets").path
    }

    /// The asset's bytes, for templates read by the page renderers.
    func text(_ name: String) -> String? {
        assets[name].map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// The response for `GET /assets/NAME`: the bytes, or 304 when the browser has them, or 404.
    func response(name: String, request: Request) -> Response {
        guard let asset = assets[name], !name.hasSuffix(".html") else { return Response(status: .notFound) }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    private static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension {
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "html": "text/html; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
