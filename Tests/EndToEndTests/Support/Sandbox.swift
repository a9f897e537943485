import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// A private spool and state directory with a configuration, and the real `opined` and `opine` run against them.
final class Sandbox: @unchecked Sendable {
    let root: URL
    var environment: [String: String]
    private(set) var daemon: Process?
    /// Helpers (such as a webhook receiver) that must live as long as the sandbox.
    var keepAlive: [AnyObject] = []
    private var daemonLog: URL { root.appendingPathComponent("opined.log") }

    var drop: URL { root.appendingPathComponent("spool/drop") }
    var rejected: URL { root.appendingPathComponent("spool/rejected") }
    var state: URL { root.appendingPathComponent("state") }

    /// Set by `make tsan`: the binaries run several times slower and use several times the memory, so expectations
    /// about timing windows and memory bars do not hold there (everything else does).
    static let underSanitizer = ProcessInfo.processInfo.environment["OPINE_SANITIZER"] != nil

    /// The directory holding the test bundle also holds the built executables.
    static let binaries: URL = {
        if let override = ProcessInfo.processInfo.environment["OPINE_BIN_DIR"] { return URL(fileURLWithPath: override) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent()
    }()

    /// `extraConfiguration` is appended to the TOML file (webhook settings and endpoints).
    init(_ settings: [String: String] = [:], extraConfiguration: String = "") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("opine-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let config = root.appendingPathComponent("opine.toml")
        try """
            [paths]
            spool = "\(root.path)/spool"
            state = "\(root.path)/state"
            [intake]
            settle_seconds = 0.2
            rescan_seconds = 0.3
            [workflow]
            admins = ["coordinator"]
            [reviewers]
            dr-patel = "Dr. Asha Patel"
            dr-okafor = "Dr. Chidi Okafor"
            \(extraConfiguration)
            """.write(to: config, atomically: true, encoding: .utf8)
        environment = ["OPINE_CONFIG": config.path, "PATH": "/usr/bin:/bin"]
        // Under `make tsan` the daemon and the CLI write their reports where the run collects them.
        if let sanitizer = ProcessInfo.processInfo.environment["TSAN_OPTIONS"] { environment["TSAN_OPTIONS"] = sanitizer }
        environment.merge(settings) { _, new in new }
    }

    /// Everything `opine` wrote to stderr in this sandbox, checked with the daemon's log for patient data.
    private(set) var cliErrors = ""

    deinit {
        stopDaemon(signal: SIGKILL)
        for secret in Self.patientDataLeaks(in: log + cliErrors) {
            Issue.record("patient data (\(secret)) reached the daemon's log or opine's stderr")
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// Names tests give uploads and bundle folders, the way upload pages and SFTP users name them after patients.
    static let patientUploadNames = ["Jane Doe DOB 1968-04-02 MRI.pdf", "Jane Doe DOB 1968-04-02 MRI", "Doe, Jane Q. - lumbar MRI.zip"]

    /// The patient data (and patient-named upload names) found in `logs`, in any form a log or message could give
    /// them: as they are, with spaces escaped (`\x20`, `\u{20}`), or reduced to a safe file name (`_` for every
    /// character outside `[A-Za-z0-9._-]`).
    static func patientDataLeaks(in logs: String) -> [String] {
        let unescaped = logs.replacingOccurrences(of: "\\x20", with: " ").replacingOccurrences(of: "\\u{20}", with: " ")
            .replacingOccurrences(of: "\\\\", with: "\\")
        let folded = String(unescaped.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        let secrets = BundleBuilder.patientData + patientUploadNames + ["Jane Doe", "Doe, Jane"]
        return secrets.filter { secret in
            let safe = String(secret.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
            return unescaped.contains(secret) || folded.contains(safe)
        }
    }

    /// Starts opined and, unless told otherwise, waits until it says it is ready: a signal sent earlier would end it
    /// by the signal's default action, before its handlers are installed.
    func startDaemon(waitUntilReady: Bool = true) throws {
        let readyBefore = log.components(separatedBy: "opined ready").count
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent("opined")
        process.environment = environment
        if !FileManager.default.fileExists(atPath: daemonLog.path) {
            _ = FileManager.default.createFile(atPath: daemonLog.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: daemonLog)
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        daemon = process
        guard waitUntilReady else {
            try waitUntil("opined created its drop directory") { FileManager.default.fileExists(atPath: self.drop.path) }
            return
        }
        try waitUntil("opined is ready", seconds: 60) {
            guard process.isRunning else {
                Issue.record("opined exited with \(process.terminationStatus) before it was ready:\n\(self.log.suffix(2000))")
                throw CancellationError()
            }
            return self.log.components(separatedBy: "opined ready").count > readyBefore
        }
    }

    /// Stops the daemon and returns its exit status.
    @discardableResult
    func stopDaemon(signal: Int32 = SIGTERM) -> Int32? {
        guard let daemon, daemon.isRunning else { return nil }
        kill(daemon.processIdentifier, signal)
        daemon.waitUntilExit()
        self.daemon = nil
        return daemon.terminationStatus
    }

    /// Sends `signal` to the daemon without waiting for it to exit (`waitForDaemonExit` does).
    func signalDaemon(_ signal: Int32) {
        if let daemon, daemon.isRunning { kill(daemon.processIdentifier, signal) }
    }

    /// Waits until the daemon has exited and returns its exit status.
    func waitForDaemonExit(seconds: Double = 20) throws -> Int32? {
        guard let daemon else { return nil }
        try waitUntil("opined exits", seconds: seconds) { !daemon.isRunning }
        self.daemon = nil
        return daemon.terminationStatus
    }

    var daemonIsRunning: Bool { daemon?.isRunning ?? false }
    var daemonPID: Int32? { daemon?.processIdentifier }
    var log: String { (try? String(contentsOf: daemonLog, encoding: .utf8)) ?? "" }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        func json() throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "not JSON: \(stdout) \(stderr)")
        }
    }

    /// Runs `program` (opine, or opined when it is expected to exit at once) to completion.
    func opine(_ arguments: [String], extraEnvironment: [String: String] = [:], program: String = "opine") throws -> Result {
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent(program)
        process.arguments = arguments
        process.environment = environment.merging(extraEnvironment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        cliErrors += String(decoding: stderr, as: UTF8.self)
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    func opine(_ arguments: String...) throws -> Result { try opine(arguments) }

    /// The store, opened directly, for checks the CLI does not expose (the outbox).
    func store() throws -> CaseStore {
        try CaseStore(path: state.appendingPathComponent("opine.sqlite3").path, mode: .existing)
    }

    /// Places a bundle the way an upload service finishing with a rename does.
    func dropRenamed(_ source: URL, as name: String) throws {
        // `make fuzz` collects every upload the tests make as seeds for the fuzzer.
        if let export = ProcessInfo.processInfo.environment["OPINE_EXPORT_CORPUS"] {
            // cp -a copies FIFOs and symlinks as they are, where reading them could block or escape.
            try? FileManager.default.createDirectory(atPath: export, withIntermediateDirectories: true)
            let copy = Process()
            copy.executableURL = URL(fileURLWithPath: "/bin/cp")
            copy.arguments = ["-a", source.path, export + "/\(UUID().uuidString.prefix(8))-\(name)"]
            try copy.run()
            copy.waitUntilExit()
        }
        try FileManager.default.moveItem(at: source, to: drop.appendingPathComponent(name))
    }

    func cases(_ extra: [String] = []) throws -> [[String: Any]] {
        let result = try opine(["list", "--all", "--json", "--limit", "1000"] + extra)
        try #require(result.status == 0, "opine list failed: \(result.stderr)")
        return try #require(try result.json()["cases"] as? [[String: Any]])
    }

    func rejections() throws -> [[String: Any]] {
        let result = try opine("rejected", "--json", "--limit", "1000")
        try #require(result.status == 0, "opine rejected failed: \(result.stderr)")
        return try #require(try result.json()["rejections"] as? [[String: Any]])
    }

    /// A fresh folder outside the spool for building bundles.
    func workFolder() throws -> URL {
        let url = root.appendingPathComponent("work/\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every regular file and symlink under the sandbox, relative to it.
    func allFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var info = stat()
            if lstat(root.path + "/" + path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR { files.append(path) }
        }
        return files
    }
}

/// Polls `condition` until it holds or `seconds` pass; never a blind sleep.
func waitUntil(_ what: String, seconds: Double = 20, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    Issue.record("timed out after \(seconds) s waiting until \(what)")
    throw CancellationError()
}
