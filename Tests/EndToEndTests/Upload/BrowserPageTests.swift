import Foundation
import Testing

/// The request page in headless Chromium: Tests/Browser/upload_page_test.py fills it by keyboard, sees the emergency
/// advice, the files left out and why, the accessibility tree's names, uploads, submits and finds the bundle; sends a
/// 40 MiB study cut off by SIGKILL of the service and by a reload, and finds every file whole; sees a broken study's
/// reason in a patient's words; adds a report and a note from the status page and finds the supplement; and, with a real opined, the status
/// pages turn to received and emergency. Its
/// screenshots land in `.build/browser-screenshots`. Needs Debian's chromium, chromium-driver and python3-selenium
/// (scripts/install-deps.sh installs them).
@Suite("Upload page in a real browser")
struct BrowserPageTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let browserInstalled: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        probe.arguments = ["-c", "import selenium"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    @Test(
        "Keyboard, red flag, left-out list, accessibility tree, upload, cut off by kill -9 and by a reload and resumed, a broken study's reason, receipt, bundle, and status from a real opined",
        .enabled(if: browserInstalled))
    func requestPageInChromium() throws {
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            Self.packageRoot.appendingPathComponent("Tests/Browser/upload_page_test.py").path,
            "--bin", Sandbox.binaries.path, "--out", Self.packageRoot.appendingPathComponent(".build/browser-screenshots").path,
        ]
        process.environment = ["PATH": "/usr/bin:/bin", "SE_OFFLINE": "true", "HOME": NSTemporaryDirectory()]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the browser test failed:\n\(text)")
    }
}
