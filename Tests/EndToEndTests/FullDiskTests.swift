import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("A full disk while ingesting: opined stays up, reports it, and resumes by itself when space returns")
struct FullDiskTests {
    /// Runs `mount`, `umount` or `sh` and says whether it succeeded.
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

    /// Whether this machine lets the tests mount a tmpfs (root, with mounts allowed), tried once on a scratch folder.
    static let canMountTmpfs: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("opine-mount-\(UUID().uuidString.prefix(8))").path
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]) else { return false }
        return run("umount", [probe])
    }()

    @Test("Every staged write failing with ENOSPC (the fault seam): the upload waits, status says so, intake resumes")
    func faultSeamFullDisk() throws {
        let sandbox = try Sandbox()
        let faults = sandbox.root.appendingPathComponent("faults")
        try Data("write ENOSPC\n".utf8).write(to: faults)
        sandbox.environment["OPINE_TEST_FAULTS_FILE"] = faults.path
        try Self.checkBlockedThenResumed(sandbox) { try FileManager.default.removeItem(at: faults) }
        #expect(sandbox.stopDaemon() == 0)
    }

    @Test("A real 3 MiB tmpfs under the state directory fills: the upload waits, status says so, intake resumes when it grows",
          .enabled(if: canMountTmpfs, "needs root and permission to mount a tmpfs"))
    func tmpfsFullDisk() throws {
        let sandbox = try Sandbox()
        // The state directory holds staging, the store and the database.
        let state = sandbox.state.path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #require(Self.run("mount", ["-t", "tmpfs", "-o", "size=3m,mode=0750", "tmpfs", state]))
        defer { _ = Self.run("umount", ["-l", state]) }
        try Self.checkBlockedThenResumed(sandbox) { #expect(Self.run("mount", ["-o", "remount,size=128m", state])) }

        // Filled to the last byte by something else: opined cannot even write its heartbeat, so opine status looks at
        // the free space itself.
        #expect(Self.run("mount", ["-o", "remount,size=8m", state]))
        let filler = sandbox.state.appendingPathComponent("filler")
        _ = Self.run("sh", ["-c", "cat /dev/zero > \(filler.path)"])
        let full = try sandbox.opine("status", "--json")
        let problems = (try? full.json()["problems"] as? [String]) ?? []
        #expect(full.status == 69 && problems.contains { $0.contains(state) && $0.contains("MiB free") }, "\(full.stdout)")
        try FileManager.default.removeItem(at: filler)
        #expect(Self.run("mount", ["-o", "remount,size=96m", state]))
        try waitUntil("opine status is healthy once space is back") { try sandbox.opine("status").status == 0 }
        #expect(sandbox.stopDaemon() == 0)
        withExtendedLifetime(sandbox) {}
    }

    /// Starts opined, drops a 6 MiB bundle the disk cannot take, checks that opined stays up and reports the full
    /// disk with the upload still waiting, then calls `freeSpace` and checks the upload is stored with no restart.
    static func checkBlockedThenResumed(_ sandbox: Sandbox, freeSpace: () throws -> Void) throws {
        try sandbox.startDaemon()
        var builder = BundleBuilder(submissionID: "web-full-disk")
        builder.files[1].data = Samples.dicom("big", size: 6 << 20)
        try sandbox.drop(builder, as: "full")

        var report: [String: Any] = [:]
        try waitUntil("opine status reports the full disk") {
            let status = try sandbox.opine("status", "--json")
            report = (try? status.json()) ?? [:]
            return status.status == 69 && (report["intake_blocked"] as? [String: Any])?["disk_full"] as? Bool == true
        }
        #expect((report["problems"] as? [String])?.first { $0.contains("disk is full") } != nil, "\(report)")
        #expect(sandbox.daemonIsRunning)
        // Listed as held by the full disk once quiet past the settle time (until then it is `changing`).
        try waitUntil("opine status lists the upload as held by the full disk") {
            let waiting = (try sandbox.opine("status", "--json").json()["waiting"] as? [[String: Any]])?.first
            return waiting?["upload_digest"] as? String == UploadDigest.of("full") && waiting?["reason"] as? String == "intake_blocked"
        }
        #expect(FileManager.default.fileExists(atPath: sandbox.drop.appendingPathComponent("full/manifest.json").path),
                "the upload waits in the drop directory")
        #expect(try sandbox.cases().isEmpty)
        // Log values escape spaces as \x20.
        #expect(sandbox.log.contains("intake failed") && sandbox.log.contains("No\\x20space\\x20left"), "the failure is logged")

        // Space returns: intake takes the upload on its next retry, with no restart.
        try freeSpace()
        try waitUntil("the waiting upload is stored", seconds: 60) { try sandbox.cases().count == 1 }
        try waitUntil("opine status is healthy again") { try sandbox.opine("status").status == 0 }
        #expect(try sandbox.opine("verify").status == 0)
        #expect(try sandbox.rejections().isEmpty, "a full disk is never a reason to reject a patient's bundle")
    }
}
