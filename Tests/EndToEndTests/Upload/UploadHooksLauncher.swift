import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpineCore
import Testing

/// The real `opine-upload` on a free loopback port with a temporary drop and state folder (or opined's drop folder),
/// signed webhooks' secret in a file, and what the status tests need: plant a submission's state files the way the
/// service's SubmissionBook writes them, post a signed webhook, read a status link.
final class UploadHooksLauncher: @unchecked Sendable {
    let root: URL
    let drop: URL
    let port: Int
    private var process: Process?
    private var logFile: URL { root.appendingPathComponent("opine-upload.log") }
    var state: URL { root.appendingPathComponent("state") }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The secret opined signs with in these tests (the same as the webhook receiver's).
    static let secret = Receiver.secret

    /// A port nobody listens on now: bound to port 0, read, closed.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound, "no free loopback port")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Prepares the folders and configuration; `drop` is opined's drop folder when the test runs opined too.
    init(drop: URL? = nil, port: Int? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("opine-upload-\(UUID().uuidString.prefix(8))")
        self.drop = drop ?? root.appendingPathComponent("drop")
        self.port = try port ?? Self.freePort()
        for folder in [root, self.drop, root.appendingPathComponent("assets")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try Self.secret.write(to: root.appendingPathComponent("webhook-secret"), atomically: true, encoding: .utf8)
        try """
            [paths]
            drop = "\(self.drop.path)"
            state = "\(state.path)"
            [listen]
            address = "127.0.0.1:\(self.port)"
            [webhook]
            secret_file = "\(root.appendingPathComponent("webhook-secret").path)"
            """.write(to: root.appendingPathComponent("upload.toml"), atomically: true, encoding: .utf8)
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// Starts the service and waits until `/healthz` answers.
    func start() async throws {
        let process = Process()
        process.executableURL = Sandbox.binaries.appendingPathComponent("opine-upload")
        process.arguments = ["--config", root.appendingPathComponent("upload.toml").path, "--assets", root.appendingPathComponent("assets").path]
        process.environment = ["PATH": "/usr/bin:/bin"]
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            guard process.isRunning else {
                Issue.record("opine-upload exited with \(process.terminationStatus):\n\(self.log)")
                throw CancellationError()
            }
            if let answer = try? await get("/healthz"), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("opine-upload did not answer /healthz within 30 s:\n\(self.log)")
        throw CancellationError()
    }

    /// What the service logged.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// An answer: status and body.
    struct Answer {
        var status: Int
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    func get(_ path: String) async throws -> Answer {
        try await send(URLRequest(url: URL(string: baseURL + path)!))
    }

    /// Posts `body` to `/hooks/opine` with Standard Webhooks headers signed with `secrets` at `timestamp`.
    func postWebhook(_ body: Data, id: String = "msg_\(UUID().uuidString.prefix(12))", secrets: [String] = [secret], timestamp: Date = Date()) async throws -> Answer {
        var request = URLRequest(url: URL(string: baseURL + "/hooks/opine")!)
        request.httpMethod = "POST"
        request.httpBody = body
        let seconds = Int(timestamp.timeIntervalSince1970)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(id, forHTTPHeaderField: "webhook-id")
        request.setValue("\(seconds)", forHTTPHeaderField: "webhook-timestamp")
        request.setValue(try WebhookSigner(secrets: secrets).signature(id: id, timestamp: seconds, body: body), forHTTPHeaderField: "webhook-signature")
        return try await send(request)
    }

    private func send(_ request: URLRequest) async throws -> Answer {
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// A submission as the service's SubmissionBook stores it (`submissions/ID.json`, `tokens/SHA256(TOKEN)`,
    /// `digests/DIGEST`): the state a submit leaves, planted so the status tests need no upload.
    struct Planted {
        var submissionID: String
        var bundleName: String
        var token: String
        var reference = "7K3M-9Q2D"
        var emergency = false
        var updatedAt = Date()
        var digest: String { UploadDigest.of(bundleName) }
    }

    func plant(_ planted: Planted) throws {
        let record: [String: Any] = [
            "submissionID": planted.submissionID, "reference": planted.reference, "bundleName": planted.bundleName,
            "uploadDigest": planted.digest, "emergency": planted.emergency, "status": "sent",
            "submittedAt": Self.iso(planted.updatedAt), "updatedAt": Self.iso(planted.updatedAt),
        ]
        for folder in ["submissions", "tokens", "digests"] {
            try FileManager.default.createDirectory(at: state.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            .write(to: state.appendingPathComponent("submissions/\(planted.submissionID).json"))
        try Data(planted.submissionID.utf8).write(to: state.appendingPathComponent("tokens/" + SHA256.hash(data: Data(planted.token.utf8)).map { String(format: "%02x", $0) }.joined()))
        try Data(planted.submissionID.utf8).write(to: state.appendingPathComponent("digests/" + planted.digest))
    }

    private static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle()) }
}
