import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("A full disk while ingesting")
struct FullDiskTests {
    /// Runs `mount` or `umount`; false when this machine does not let the test mount (not root, no tmpfs).
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/" + tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test("opined stays up, opine status reports the full disk, and intake resumes by itself when space returns")
    func fullDiskThenSpace() throws {
        let sandbox = try Sandbox()
        // A real 3 MiB file system under the state directory (staging, store, database) where the machine allows
        // it; otherwise the fault seam makes every staged write fail with ENOSPC.
        let state = sandbox.state.path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let mounted = Self.run("mount", ["-t", "tmpfs", "-o", "size=3m,mode=0750", "tmpfs", state])
        defer { if mounted { _ = Self.run("umount", ["-l", state]) } }
        let faults = sandbox.root.appendingPathComponent("faults")
        if !mounted { try Data("write ENOSPC\n".utf8).write(to: faults) }
        sandbox.environment["OPINE_TEST_FAULTS_FILE"] = faults.path
        try sandbox.startDaemon()

        var builder = BundleBuilder(submissionID: "web-full-disk")
        builder.files[1].data = Samples.dicom("big", size: 6 << 20)
        let work = try sandbox.workFolder()
        try sandbox.dropRenamed(try builder.writeDirectory(in: work, name: "full"), as: "full")

        var report: [String: Any] = [:]
        try waitUntil("opine status reports the full disk") {
            let status = try sandbox.opine("status", "--json")
            report = (try? status.json()) ?? [:]
            return status.status == 69 && (report["intake_blocked"] as? [String: Any])?["disk_full"] as? Bool == true
        }
        #expect((report["problems"] as? [String])?.first { $0.contains("disk is full") } != nil, "\(report)")
        #expect(sandbox.daemonIsRunning)
        #expect(FileManager.default.fileExists(atPath: sandbox.drop.appendingPathComponent("full/manifest.json").path),
                "the upload waits in the drop directory")
        #expect(try sandbox.cases().isEmpty)
        // Log values escape spaces as \x20.
        #expect(sandbox.log.contains("intake failed") && sandbox.log.contains("No\\x20space\\x20left"), "the failure is logged")

        // Space returns: intake takes the upload on its next retry, with no restart.
        if mounted {
            #expect(Self.run("mount", ["-o", "remount,size=128m", state]))
        } else {
            try FileManager.default.removeItem(at: faults)
        }
        try waitUntil("the waiting upload is stored", seconds: 60) { try sandbox.cases().count == 1 }
        try waitUntil("opine status is healthy again") { try sandbox.opine("status").status == 0 }
        #expect(try sandbox.opine("verify").status == 0)
        #expect(try sandbox.rejections().isEmpty, "a full disk is never a reason to reject a patient's bundle")

        if mounted {
            // Filled to the last byte by something else: opined cannot even write its heartbeat, so opine status
            // looks at the free space itself.
            #expect(Self.run("mount", ["-o", "remount,size=8m", state]))
            let filler = sandbox.state.appendingPathComponent("filler")
            _ = Self.run("sh", ["-c", "cat /dev/zero > \(filler.path)"])
            let full = try sandbox.opine("status", "--json")
            let problems = (try? full.json()["problems"] as? [String]) ?? []
            #expect(full.status == 69 && problems.contains { $0.contains(state) && $0.contains("MiB free") }, "\(full.stdout)")
            try FileManager.default.removeItem(at: filler)
            #expect(Self.run("mount", ["-o", "remount,size=96m", state]))
            try waitUntil("opine status is healthy once space is back") { try sandbox.opine("status").status == 0 }
        }
        #expect(sandbox.stopDaemon() == 0)
        withExtendedLifetime(sandbox) {}
    }
}
