import Foundation
@testable import OpineCore
import OpineTestSupport
import Testing

/// `opine status`'s list of waiting uploads: which are listed and in what order, why each waits, the words, and the
/// probe's look at real folders and zips (the same rule readiness applies).
@Suite("Waiting uploads: order, cap, reasons, age words, the drop directory look")
struct WaitingUploadsTests {
    static let now = 1_800_000_000.0
    static let policy = ReadinessPolicy(settleSeconds: 2, incompleteAfterSeconds: 24 * 3600)

    static func decide(_ seen: [WaitingUploads.Seen], intake: WaitingUploads.IntakeCondition = .running) -> WaitingUploads {
        WaitingUploads(seen: seen, more: 0, intake: intake, policy: policy, now: now)
    }

    @Test("The 20 entries that changed longest ago are looked at, ties by name; the rest are counted")
    func orderAndCap() {
        let entries = (0..<25).map { WaitingUploads.Entry(name: "upload-\($0)", lastChange: Self.now - Double($0 % 12) * 60) }
        let (shown, more) = WaitingUploads.oldest(entries)
        #expect(shown.count == WaitingUploads.cap && more == 5)
        #expect(shown.prefix(3).map(\.name) == ["upload-11", "upload-23", "upload-10"])
        #expect(shown.allSatisfy { $0.lastChange <= Self.now - 2 * 60 }, "the five newest (changed 0 or 1 minute ago) are the ones left out")
        #expect(WaitingUploads.oldest(Array(entries.prefix(3))).more == 0)

        let decided = Self.decide([
            .init(name: "b", kind: .zip, lastChange: Self.now - 10),
            .init(name: "a", kind: .directory, lastChange: Self.now - 3600),
        ])
        #expect(decided.uploads.map(\.name) == ["a", "b"], "the longest quiet first, whatever the listing order")
        #expect(decided.uploads[0].digest == UploadDigest.of("a") && decided.uploads[0].quietSeconds == 3600)
    }

    @Test("Changing, incomplete (with what is missing and when it is refused), queued, blocked, opined stopped")
    func reasons() {
        let files: [ReadinessPolicy.Gap] = [.short("MRI/IM000001", expected: 2048, found: 100), .missing("MRI/IM000002")]
        let writing = WaitingUploads.Seen(name: "w", kind: .directory, lastChange: Self.now - 1, gaps: files)
        let stalled = WaitingUploads.Seen(name: "s", kind: .directory, lastChange: Self.now - 3 * 3600, gaps: files)
        let complete = WaitingUploads.Seen(name: "c", kind: .directory, lastChange: Self.now - 60)
        let running = Self.decide([writing, stalled, complete]).uploads
        #expect(running.map(\.reason) == [.incomplete, .queued, .changing])
        let incomplete = running[0]
        #expect(incomplete.refusedInSeconds == 21 * 3600 && incomplete.missing?.gaps == files)
        #expect(incomplete.message.contains("MRI/IM000001 has 100 of its 2048 bytes; MRI/IM000002 is not there;"),
                "the same words as the incomplete refusal: \(incomplete.message)")
        #expect(incomplete.message.contains("refused as incomplete in 21h 0m"))
        #expect(running[2].refusedInSeconds == nil && running[2].message.contains("still being written (changed 1s ago)"))

        #expect(Self.decide([complete], intake: .blocked(diskFull: true)).uploads[0].reason == .intakeBlocked)
        #expect(Self.decide([complete], intake: .blocked(diskFull: true)).uploads[0].message.contains("a full disk"))
        #expect(Self.decide([complete], intake: .stopped).uploads[0].reason == .opinedStopped)
        #expect(Self.decide([stalled], intake: .stopped).uploads[0].message.contains("refused as incomplete in 21h 0m, if opined is running by then"))
        let overdue = WaitingUploads.Seen(name: "o", kind: .zip, lastChange: Self.now - 25 * 3600, gaps: [.zipEnd])
        let late = Self.decide([overdue]).uploads[0]
        #expect(late.refusedInSeconds == 0 && late.message.contains("no readable end record") && late.message.contains("refused as incomplete now"))
        #expect(Self.decide([overdue], intake: .stopped).uploads[0].message.contains("as soon as opined runs again"))
        let stray = WaitingUploads.Seen(name: "notes.txt", kind: .other, lastChange: Self.now - 60)
        #expect(Self.decide([stray]).uploads[0].reason == .queued && Self.decide([stray]).uploads[0].message.contains("refuses it"))
        // A listed link or device: opined refuses it at once, so it is not "incomplete".
        let linked = WaitingUploads.Seen(
            name: "l", kind: .directory, observation: .init(complete: false, lastChange: Self.now - 60, specialEntry: "report.pdf"))
        #expect(Self.decide([linked]).uploads[0].reason == .queued && Self.decide([linked]).uploads[0].missing == nil)
        #expect(Self.decide([linked]).uploads[0].message.contains("special_file"))
    }

    @Test("Only the first paths are named, as the refusal names them; the count says the rest")
    func pathsCapped() {
        var missing = ReadinessPolicy.Observation(complete: false, lastChange: Self.now - 60)
        for index in 1...8 { missing.note(.missing("MRI/IM00000\(index)")) }
        #expect(missing.gapCount == 8 && missing.gaps.count == ReadinessPolicy.Gap.named)
        #expect(ReadinessPolicy.words(missing) == "MRI/IM000001 is not there; MRI/IM000002 is not there; MRI/IM000003 is not there; and 5 more listed files missing or short")
        #expect(ReadinessPolicy.words(.init(complete: false, lastChange: 0, gaps: [.manifest])) == "manifest.json is missing")
        // For output that may reach a log: counts, not the uploader's paths.
        missing.note(.short("Jane Doe/report.pdf", expected: 10, found: 1))
        #expect(ReadinessPolicy.words(missing, namingPaths: false) == "9 listed files missing or short")
        let decided = WaitingUploads(
            seen: [.init(name: "Jane Doe MRI", kind: .directory, observation: missing)], more: 0,
            intake: .running, policy: Self.policy, now: Self.now, namingPaths: false)
        #expect(!decided.uploads[0].message.contains("Jane") && !decided.uploads[0].message.contains("IM0000"))
    }

    @Test("Ages in words: seconds under a minute, then minutes, hours, days")
    func ageWords() {
        #expect(WaitingUploads.ageWords(-3) == "0s")
        #expect(WaitingUploads.ageWords(59.9) == "59s")
        #expect(WaitingUploads.ageWords(60) == "1m")
        #expect(WaitingUploads.ageWords(3599) == "59m")
        #expect(WaitingUploads.ageWords(3600 + 12 * 60) == "1h 12m")
        #expect(WaitingUploads.ageWords(48 * 3600 - 1) == "47h 59m")
        #expect(WaitingUploads.ageWords(4 * 86400 + 2 * 3600 + 59) == "4d 2h")
    }

    @Test("Intake's condition from the heartbeat: none, stale or stopped is stopped; blocked says by what")
    func intakeCondition() {
        let at = Timestamps.format(Date(timeIntervalSince1970: Self.now))
        var beat = DaemonHeartbeat(pid: 1, version: "0", startedAt: at, at: at, healthy: true, loops: [:], intakeBlocked: nil)
        #expect(WaitingUploads.IntakeCondition.of(heartbeat: nil, age: nil) == .stopped)
        #expect(WaitingUploads.IntakeCondition.of(heartbeat: beat, age: 1) == .running)
        #expect(WaitingUploads.IntakeCondition.of(heartbeat: beat, age: DaemonHealth.staleAfter + 1) == .stopped)
        #expect(WaitingUploads.IntakeCondition.of(heartbeat: beat.stopped(at: at), age: 1) == .stopped)
        beat.intakeBlocked = .init(message: "write: EIO", diskFull: false, since: at)
        #expect(WaitingUploads.IntakeCondition.of(heartbeat: beat, age: 1) == .blocked(diskFull: false))
    }

    @Test("The look: a folder missing a listed file or part of one, no manifest, a cut zip, in-progress names skipped")
    func look() throws {
        let drop = FileManager.default.temporaryDirectory.appendingPathComponent("opine-waiting-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: drop) }
        let builder = BundleBuilder(submissionID: "web-waiting")
        let partial = try builder.writeDirectory(in: drop, name: "partial")
        try FileManager.default.removeItem(at: partial.appendingPathComponent("report.pdf"))
        try builder.files[1].data.prefix(100).write(to: partial.appendingPathComponent("MRI/IM000001"))
        try FileManager.default.createDirectory(at: drop.appendingPathComponent("no-manifest/MRI"), withIntermediateDirectories: true)
        let zip = try builder.writeZip(in: drop, name: "cut.zip")
        try Data(try Data(contentsOf: zip).dropLast(10)).write(to: zip)
        _ = try builder.writeZip(in: drop, name: "whole.zip")
        _ = try builder.writeDirectory(in: drop, name: "complete")
        try Data().write(to: drop.appendingPathComponent("upload.zip.part"))

        let entries = try #require(DropListing.entries(drop.path))
        #expect(Set(entries.map(\.name)) == ["partial", "no-manifest", "cut.zip", "whole.zip", "complete"])
        func look(_ name: String) throws -> WaitingUploads.Seen {
            try #require(DropListing.look(name, in: drop.path, limits: IntakeSettings(), today: Date()))
        }
        let seen = try look("partial").observation
        #expect(Set(seen.gaps) == Set<ReadinessPolicy.Gap>([.missing("report.pdf"), .short("MRI/IM000001", expected: Int64(builder.files[1].data.count), found: 100)]))
        #expect(try look("no-manifest").observation.gaps == [.manifest])
        #expect(try look("cut.zip").observation.gaps == [.zipEnd] && (try look("cut.zip").kind) == .zip)
        #expect(try look("whole.zip").observation.complete)
        #expect(try look("complete").observation.complete && (try look("complete").kind) == .directory)
        try FileManager.default.createSymbolicLink(atPath: partial.appendingPathComponent("report.pdf").path, withDestinationPath: "/etc/passwd")
        #expect(try look("partial").observation.specialEntry == "report.pdf", "a listed link is seen as intake sees it")
        // A manifest that is a FIFO or a link is not opened through: the look neither hangs nor reads elsewhere, and
        // calls the upload complete, as readiness does, for opined to refuse with the reason.
        for (folder, make) in [("fifo", { mkfifo($0, 0o600) }), ("linked", { symlink("/etc/passwd", $0) })] as [(String, (String) -> Int32)] {
            try FileManager.default.createDirectory(at: drop.appendingPathComponent(folder), withIntermediateDirectories: true)
            #expect(make(drop.appendingPathComponent(folder + "/manifest.json").path) == 0)
            #expect(try look(folder).observation.complete, "\(folder)")
        }
        #expect(DropListing.look("gone", in: drop.path, limits: IntakeSettings(), today: Date()) == nil)
        #expect(DropListing.entries(drop.appendingPathComponent("absent").path) == nil)
    }
}
