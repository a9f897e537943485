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
            .init(name: "b", kind: .zip, lastChange: Self.now - 10, missing: nil),
            .init(name: "a", kind: .directory, lastChange: Self.now - 3600, missing: nil),
        ])
        #expect(decided.uploads.map(\.name) == ["a", "b"], "the longest quiet first, whatever the listing order")
        #expect(decided.uploads[0].digest == UploadDigest.of("a") && decided.uploads[0].quietSeconds == 3600)
    }

    @Test("Changing, incomplete (with what is missing and when it is refused), queued, blocked, opined stopped")
    func reasons() {
        var files = WaitingUploads.Missing()
        files.addAbsent("MRI/IM000002")
        files.addShort("MRI/IM000001")
        let writing = WaitingUploads.Seen(name: "w", kind: .directory, lastChange: Self.now - 1, missing: files)
        let stalled = WaitingUploads.Seen(name: "s", kind: .directory, lastChange: Self.now - 3 * 3600, missing: files)
        let complete = WaitingUploads.Seen(name: "c", kind: .directory, lastChange: Self.now - 60, missing: nil)
        let running = Self.decide([writing, stalled, complete]).uploads
        #expect(running.map(\.reason) == [.incomplete, .queued, .changing])
        let incomplete = running[0]
        #expect(incomplete.refusedInSeconds == 21 * 3600 && incomplete.missing == files)
        #expect(incomplete.message.contains("1 listed file not there (MRI/IM000002)"))
        #expect(incomplete.message.contains("1 listed file still short (MRI/IM000001)"))
        #expect(incomplete.message.contains("refused as incomplete in 21h 0m"))
        #expect(running[2].refusedInSeconds == nil && running[2].message.contains("still being written (changed 1s ago)"))

        #expect(Self.decide([complete], intake: .blocked(diskFull: true)).uploads[0].reason == .intakeBlocked)
        #expect(Self.decide([complete], intake: .blocked(diskFull: true)).uploads[0].message.contains("a full disk"))
        #expect(Self.decide([complete], intake: .stopped).uploads[0].reason == .opinedStopped)
        #expect(Self.decide([stalled], intake: .stopped).uploads[0].message.contains("refused as incomplete in 21h 0m, if opined is running by then"))
        let overdue = WaitingUploads.Seen(name: "o", kind: .zip, lastChange: Self.now - 25 * 3600, missing: .init(zipEndRecord: true))
        let late = Self.decide([overdue]).uploads[0]
        #expect(late.refusedInSeconds == 0 && late.message.contains("no end record") && late.message.contains("refused as incomplete now"))
        #expect(Self.decide([overdue], intake: .stopped).uploads[0].message.contains("as soon as opined runs again"))
        let stray = WaitingUploads.Seen(name: "notes.txt", kind: .other, lastChange: Self.now - 60, missing: nil)
        #expect(Self.decide([stray]).uploads[0].reason == .queued && Self.decide([stray]).uploads[0].message.contains("refuses it"))
        // An empty Missing is no missing at all.
        let empty = WaitingUploads.Seen(name: "e", kind: .directory, lastChange: Self.now - 60, missing: .init())
        #expect(Self.decide([empty]).uploads[0].reason == .queued && Self.decide([empty]).uploads[0].missing == nil)
    }

    @Test("Only the first paths are named; the counts say the rest")
    func pathsCapped() {
        var missing = WaitingUploads.Missing(manifest: false)
        for index in 1...8 { missing.addAbsent("MRI/IM00000\(index)") }
        #expect(missing.absentCount == 8 && missing.absent.count == WaitingUploads.pathsShown)
        #expect(WaitingUploads.words(missing) == "8 listed files not there (MRI/IM000001, MRI/IM000002, MRI/IM000003, MRI/IM000004, MRI/IM000005, …)")
        #expect(WaitingUploads.words(.init(manifest: true)) == "no manifest.json yet")
        // For output that may reach a log: counts, not the uploader's paths.
        missing.addShort("Jane Doe/report.pdf")
        #expect(WaitingUploads.words(missing, namingPaths: false) == "8 listed files not there; 1 listed file still short")
        let decided = WaitingUploads(
            seen: [.init(name: "Jane Doe MRI", kind: .directory, lastChange: Self.now - 60, missing: missing)], more: 0,
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
        let missing = try #require(try look("partial").missing)
        #expect(missing.absent == ["report.pdf"] && missing.short == ["MRI/IM000001"])
        #expect(try look("no-manifest").missing == .init(manifest: true))
        #expect(try look("cut.zip").missing == .init(zipEndRecord: true) && (try look("cut.zip").kind) == .zip)
        #expect(try look("whole.zip").missing == nil)
        #expect(try look("complete").missing == nil && (try look("complete").kind) == .directory)
        #expect(DropListing.look("gone", in: drop.path, limits: IntakeSettings(), today: Date()) == nil)
        #expect(DropListing.entries(drop.appendingPathComponent("absent").path) == nil)
    }
}
