#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Testing

/// The real `opine-upload` on a free loopback port with its own temporary drop and state folders, started and
/// waited on until `/healthz` answers; stopped (and its folders removed) when released. Its log is checked for
/// patient data like opined's. Every upload test starts the service through this one launcher.
final class UploadServer: @unchecked Sendable {
    let root: URL
    let port: Int
    /// The drop folder bundles are renamed into: the service's own, or opined's when a test runs both.
    let drop: URL
    private var process = Process()
    private let environment: [String: String]
    private let config: URL
    var state: URL { root.appendingPathComponent("state") }
    var uploads: URL { state.appendingPathComponent("staging/uploads") }
    var base: String { "http://127.0.0.1:\(port)" }
    var logFile: URL { root.appendingPathComponent("opine-upload.log") }
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Prepares the folders and upload.toml and, unless `start` is false (to plant state first), starts the service.
    /// `environment` adds `OPINE_UPLOAD_*` overrides, `configuration` TOML lines; `drop` and `port` are given when
    /// opined must know them first; `webhookSecret` is written to a file that `[webhook] secret_file` names.
    init(
        environment: [String: String] = [:], configuration: String = "", drop: URL? = nil, port: Int? = nil,
        webhookSecret: String? = nil, start: Bool = true
    ) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("opine-upload-test-\(UUID().uuidString.prefix(8))")
        self.drop = drop ?? root.appendingPathComponent("spool/drop")
        try FileManager.default.createDirectory(at: self.drop, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.port = try port ?? Self.freePort()
        config = root.appendingPathComponent("upload.toml")
        self.environment = environment
        var webhook = ""
        if let webhookSecret {
            let file = root.appendingPathComponent("webhook-secret")
            try webhookSecret.write(to: file, atomically: true, encoding: .utf8)
            webhook = "[webhook]\nsecret_file = \"\(file.path)\""
        }
        try """
            [paths]
            drop = "\(self.drop.path)"
            state = "\(state.path)"
            [listen]
            address = "127.0.0.1:\(self.port)"
            \(webhook)
            \(configuration)
            """.write(to: config, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        if start { try self.start() }
    }

    /// Starts the binary and waits until `/healthz` answers; an early exit fails at once with the log.
    func start() throws {
        process = Process()
        process.executableURL = Sandbox.binaries.appendingPathComponent("opine-upload")
        process.arguments = ["--config", config.path]
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try waitUntil("opine-upload answers /healthz", seconds: 30) {
            guard process.isRunning else { throw HTTPClientError("opine-upload exited with \(process.terminationStatus):\n\(log)") }
            return (try? self.get("/healthz"))?.status == 200
        }
    }

    /// Stops the service and starts it again on the same folders and port.
    func restart() throws {
        stop()
        try start()
    }

    deinit {
        stop()
        for secret in Sandbox.patientDataLeaks(in: log) { Issue.record("patient data (\(secret)) reached opine-upload's log") }
        try? FileManager.default.removeItem(at: root)
    }

    /// Stops the service with SIGTERM and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { throw HTTPClientError("bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// One request on a new connection (`Connection: close`), read to the end.
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = [], timeoutSeconds: Int = 30) throws -> HTTPReply {
        let connection = try RawConnection(port: port, timeoutSeconds: timeoutSeconds)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || ["POST", "PATCH"].contains(method), headers["Content-Length"] == nil { head += "Content-Length: \(body.count)\r\n" }
        try connection.send(Array((head + "\r\n").utf8) + body)
        return try HTTPReply(try connection.readAll(), method: method)
    }

    /// `GET path`; cookies are sent only when given in `headers`.
    func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPReply {
        try request("GET", path, headers: headers)
    }
}

/// What a test client could not do.
struct HTTPClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A parsed HTTP/1.1 response.
struct HTTPReply {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }

    init(_ bytes: [UInt8], method: String) throws {
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            throw HTTPClientError("no complete response head (\(bytes.count) bytes)")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HTTPClientError("bad status line") }
        self.status = status
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        let rest = Array(bytes[(end + 4)...])
        let chunked = method != "HEAD" && !rest.isEmpty && headers["transfer-encoding"]?.lowercased().contains("chunked") == true
        body = chunked ? try Self.dechunked(rest) : rest
    }

    /// A chunked body's data, as a browser would read it (a streamed page or asset may come chunked).
    static func dechunked(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = [], index = 0
        while let lineEnd = bytes[index...].indices.dropLast().first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) {
            let sizeField = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeField.trimmingCharacters(in: .whitespaces), radix: 16) else { throw HTTPClientError("bad chunk size") }
            guard size > 0 else { return out }
            guard lineEnd + 2 + size <= bytes.count else { throw HTTPClientError("chunk cut short") }
            out += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 4 + size
            guard index < bytes.count else { break }
        }
        throw HTTPClientError("chunked body without its last chunk")
    }
}

/// A plain TCP connection to the service, for requests a client library would not send (lies, stalls, cut-offs).
final class RawConnection {
    /// The socket; -1 once closed, so the descriptor (which the kernel hands out again) is never closed twice.
    private(set) var fd: Int32

    init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else {
            // Through close(), which marks the descriptor closed: a class whose init throws once every property is
            // set still runs its deinit, and a second close would close whatever the kernel handed that number to
            // meanwhile (another test's connection, seen as "send failed (9)").
            close()
            throw HTTPClientError("cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close() }

    /// Drops the connection, as a client cut off mid-request would; closing twice is harmless.
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    func send(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HTTPClientError("send failed (\(errno))") }
            done += sent
        }
    }

    /// Everything until the server closes; throws on the receive timeout.
    func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return out }
            guard count > 0 else { throw HTTPClientError("receive failed or timed out (\(errno))") }
            out += buffer[..<count]
        }
    }

    /// Whether the server has closed the connection (a read returns end of file or a reset).
    func isClosed() -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}
