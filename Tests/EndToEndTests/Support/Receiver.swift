import Crypto
import Foundation
import Testing

/// The loopback HTTP receiver (receiver.py beside this file), run for one test. Each request it got is one
/// JSON line in its log; see the script for what each path answers.
final class Receiver: @unchecked Sendable {
    let directory: URL
    let port: Int
    private let process: Process
    private var logFile: URL { directory.appendingPathComponent("requests.jsonl") }

    /// The secret every test endpoint signs with, in the form Standard Webhooks uses.
    static let secret = "whsec_" + Data("opine end-to-end test secret".utf8).base64EncodedString()

    struct Request {
        var path: String
        var id: String
        var timestamp: String
        var signature: String
        var contentType: String
        var userAgent: String
        var body: String
        var status: Int
        /// When it arrived (before any deliberate delay), and from which client port (the same port = a reused connection).
        var at: Double
        var peerPort: Int
        /// Its place in arrival order, from 1.
        var seq: Int

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var type: String { json["type"] as? String ?? "" }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var caseID: String? { data["case_id"] as? String }
    }

    /// Runs in a temporary directory of its own, removed with it. With `selfSignedTLS` it speaks HTTPS with a
    /// certificate no authority signed, as an impostor would.
    init(selfSignedTLS: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("opine-rx-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port")
        var tlsArguments: [String] = []
        if selfSignedTLS {
            let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                 "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            try #require(openssl.terminationStatus == 0, "openssl could not make a test certificate")
            tlsArguments = [cert, key]
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("receiver.py")
        process.arguments = [script.path, directory.appendingPathComponent("requests.jsonl").path, portFile.path] + tlsArguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try waitUntil("the receiver is listening") { FileManager.default.fileExists(atPath: portFile.path) }
        port = Int(try String(contentsOf: portFile, encoding: .utf8)) ?? 0
    }

    deinit {
        // Not waitUntilExit: it can block forever on a cooperative thread; Foundation reaps the child itself.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Everything received so far, in arrival order.
    func requests(_ path: String? = nil) -> [Request] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(
                path: object["path"] as? String ?? "", id: object["id"] as? String ?? "",
                timestamp: object["timestamp"] as? String ?? "", signature: object["signature"] as? String ?? "",
                contentType: object["content_type"] as? String ?? "", userAgent: object["user_agent"] as? String ?? "",
                body: object["body"] as? String ?? "", status: object["status"] as? Int ?? 0,
                at: object["at"] as? Double ?? 0, peerPort: object["peer_port"] as? Int ?? 0,
                seq: object["seq"] as? Int ?? 0)
        }.filter { path == nil || $0.path == path }
    }

    /// The receiver's word on each request it is done with, by sequence number: true if it answered (it records
    /// that just before sending the answer), false if the client hung up while it was held back.
    private func finished() -> [Int: Bool] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("finished.jsonl"), encoding: .utf8)) ?? ""
        let records = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return Dictionary(records.compactMap { record in (record["seq"] as? Int).map { ($0, record["answered"] as? Bool ?? true) } }) { $1 }
    }

    /// The requests in flight: received, not answered, and the client still waiting for the answer.
    func unanswered(_ path: String? = nil) -> [Request] {
        let finished = finished()
        return requests(path).filter { finished[$0.seq] == nil }
    }

    /// The requests whose client hung up before the receiver answered (it timed out, or was killed).
    func abandoned(_ path: String? = nil) -> [Request] {
        let finished = finished()
        return requests(path).filter { finished[$0.seq] == false }
    }

    /// Makes `/hold/NAME` keep every request waiting for its answer (held) or answer 200 (released).
    func setHold(_ name: String, held: Bool) throws {
        let file = directory.appendingPathComponent(name + ".hold")
        if held { try Data().write(to: file) } else { try? FileManager.default.removeItem(at: file) }
    }

    /// Makes `/switch/NAME` answer 503 (down) or 200.
    func setSwitch(_ name: String, down: Bool) throws {
        let file = directory.appendingPathComponent(name + ".down")
        if down { try Data().write(to: file) } else { try? FileManager.default.removeItem(at: file) }
    }

    /// Verifies a request's signature the way a receiver would: any `v1,` signature matching one of the secrets.
    static func signatureVerifies(_ request: Request, secrets: [String] = [secret]) -> Bool {
        let signed = Data("\(request.id).\(request.timestamp).\(request.body)".utf8)
        let expected = Set(secrets.map { secret in
            let key = SymmetricKey(data: Data(base64Encoded: String(secret.dropFirst(6)))!)
            return "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
        })
        return request.signature.split(separator: " ").contains { expected.contains(String($0)) }
    }

    /// TOML for one endpoint pointing at this receiver.
    func endpoint(_ name: String, path: String, extra: String = "") -> String {
        """
        [endpoints.\(name)]
        url = "\(url(path))"
        allow_http = true
        secret_env = "OPINE_TEST_WEBHOOK_SECRET"
        \(extra)

        """
    }
}

extension Sandbox {
    /// A sandbox whose endpoints point at `receiver`, with fast retries and no jitter.
    convenience init(receiver: Receiver, retrySchedule: String = #"["0.2s", "0.2s", "0.2s"]"#, webhooks: String = "", endpoints: String) throws {
        try self.init(
            ["OPINE_TEST_WEBHOOK_SECRET": Receiver.secret],
            extraConfiguration: """
                [webhooks]
                retry_schedule = \(retrySchedule)
                retry_jitter = 0
                \(webhooks)
                \(endpoints)
                """)
        // The receiver must outlive the daemon that sends to it.
        keepAlive.append(receiver)
    }

    /// `opine deliveries --json` for the given arguments.
    func deliveries(_ extra: [String] = []) throws -> [[String: Any]] {
        let result = try opine(["deliveries", "--json", "--limit", "1000"] + extra)
        try #require(result.status == 0, "opine deliveries failed: \(result.stderr)")
        return try #require(try result.json()["deliveries"] as? [[String: Any]])
    }
}
