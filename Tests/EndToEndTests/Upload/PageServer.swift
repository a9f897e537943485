import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The real `opine-upload` on a free loopback port with a temporary drop and state folder, for the page tests (the
/// tus tests have their own; both start the binary the same way). Stopped and removed when released.
final class PageServer: @unchecked Sendable {
    let root: URL
    let port: Int
    private let process: Process
    private let log: URL

    var drop: URL { root.appendingPathComponent("spool/drop") }
    var state: URL { root.appendingPathComponent("state") }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the service with `extraConfiguration` appended to its upload.toml and `environment` added to its own;
    /// `start` also waits until it answers.
    private init(extraConfiguration: String = "", environment: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("opine-page-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("spool/drop"), withIntermediateDirectories: true)
        port = try Self.freePort()
        let config = root.appendingPathComponent("upload.toml")
        try """
            [paths]
            drop = "\(root.path)/spool/drop"
            state = "\(root.path)/state"
            [listen]
            address = "127.0.0.1:\(port)"
            \(extraConfiguration)
            """.write(to: config, atomically: true, encoding: .utf8)
        log = root.appendingPathComponent("opine-upload.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = Sandbox.binaries.appendingPathComponent("opine-upload")
        process.arguments = ["--config", config.path]
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Starts the service (see `init`) and waits until `/healthz` answers or it exits.
    static func start(extraConfiguration: String = "", environment: [String: String] = [:]) async throws -> PageServer {
        let server = try PageServer(extraConfiguration: extraConfiguration, environment: environment)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, server.process.isRunning {
            if (try? await server.get("/healthz").status) == 200 { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("opine-upload did not answer /healthz: \(server.serviceLog)")
        throw CancellationError()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// What the service logged.
    var serviceLog: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// One response: status, headers (names lowercased) and body.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// `GET path` with the headers given; cookies are neither stored nor sent unless given.
    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Answer(status: http.statusCode, headers: fields, body: String(decoding: data, as: UTF8.self))
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration)
    }()

    /// A port nothing listens on now: the kernel's choice for a socket bound to port 0.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CancellationError() }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
