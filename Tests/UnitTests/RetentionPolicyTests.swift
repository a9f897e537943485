import Foundation
@testable import OpineCore
import Testing

/// `RetentionPolicy` without a database: what the purge removes, under which rule, and what it never touches.
@Suite("RetentionPolicy: each rule, holds, boundaries and reopened conversations")
struct RetentionPolicyTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let day = 86400.0

    static func at(days: Double) -> Date { start.addingTimeInterval(days * day) }

    @Test("Defaults: rejected 30 days, withdrawn 90, responded kept, attempts 90, orphaned kept")
    func defaults() {
        let policy = RetentionPolicy()
        #expect(policy.rejectedUploads == .after(30 * Self.day))
        #expect(policy.withdrawnCases == .after(90 * Self.day))
        #expect(policy.respondedCases == .keep)
        #expect(policy.deliveryAttempts == .after(90 * Self.day))
        #expect(policy.orphanedFolders == .keep)
        let responded = ClosedCaseFacts(id: "C-1", state: .responded, closedAt: Self.start)
        #expect(policy.decide(responded, now: Self.at(days: 10 * 365)) == nil, "responded cases are kept by default")
        #expect(policy.decideOrphaned(name: "x", writtenAt: Self.start, now: Self.at(days: 10 * 365)) == nil)
    }

    @Test("A withdrawn case goes exactly when its period has passed since the withdrawal, not a millisecond before")
    func withdrawnBoundary() {
        let policy = RetentionPolicy()
        let facts = ClosedCaseFacts(id: "C-1", state: .withdrawn, closedAt: Self.start)
        #expect(policy.decide(facts, now: Self.at(days: 90).addingTimeInterval(-0.001)) == nil)
        #expect(policy.decide(facts, now: Self.at(days: 90))
            == Removal(subject: .caseFiles(caseID: "C-1"), rule: .withdrawnCase, since: Self.start))
        #expect(policy.closedCutoff(now: Self.at(days: 90)) == Self.start)
    }

    @Test("A responded case goes under its own rule once a number of days is set")
    func respondedWhenSet() {
        var policy = RetentionPolicy()
        policy.respondedCases = .after(365 * Self.day)
        let facts = ClosedCaseFacts(id: "C-2", state: .responded, closedAt: Self.start)
        #expect(policy.decide(facts, now: Self.at(days: 364)) == nil)
        #expect(policy.decide(facts, now: Self.at(days: 365))?.rule == .respondedCase)
        #expect(policy.closedCutoff(now: Self.at(days: 365)) == Self.at(days: 275), "the shorter rule decides what is read")
    }

    @Test("Open cases are never purged, whatever their age")
    func openNeverPurged() {
        var policy = RetentionPolicy()
        policy.respondedCases = .after(0)
        policy.withdrawnCases = .after(0)
        for state in [CaseState.received, .triaged, .awaitingInformation, .reviewed] {
            #expect(policy.decide(ClosedCaseFacts(id: "C-3", state: state, closedAt: Self.start), now: Self.at(days: 1000)) == nil, "\(state)")
        }
    }

    @Test("A hold keeps a case past its time; released, it goes at once")
    func holds() {
        let policy = RetentionPolicy()
        var facts = ClosedCaseFacts(id: "C-4", state: .withdrawn, closedAt: Self.start, held: true)
        #expect(policy.decide(facts, now: Self.at(days: 1000)) == nil)
        facts.held = false
        #expect(policy.decide(facts, now: Self.at(days: 1000))?.subject == .caseFiles(caseID: "C-4"))
    }

    @Test("Later activity (a follow-up, an addendum, a note) restarts a closed case's clock")
    func activityRestartsClock() {
        var policy = RetentionPolicy()
        policy.respondedCases = .after(30 * Self.day)
        let facts = ClosedCaseFacts(id: "C-5", state: .responded, closedAt: Self.start, lastActivity: Self.at(days: 20))
        #expect(facts.clockStart == Self.at(days: 20))
        #expect(policy.decide(facts, now: Self.at(days: 49)) == nil, "30 days from the close, but only 29 from the addendum")
        #expect(policy.decide(facts, now: Self.at(days: 50))?.since == Self.at(days: 20))
        let earlier = ClosedCaseFacts(id: "C-6", state: .responded, closedAt: Self.start, lastActivity: Self.at(days: -5))
        #expect(earlier.clockStart == Self.start, "activity before the close does not move the clock back")
    }

    @Test("A responded case with an unanswered follow-up question is kept: the conversation is not over")
    func followUpPending() {
        var policy = RetentionPolicy()
        policy.respondedCases = .after(0)
        let facts = ClosedCaseFacts(id: "C-7", state: .responded, closedAt: Self.start, followUpPending: true)
        #expect(policy.decide(facts, now: Self.at(days: 1000)) == nil)
    }

    @Test("Rejected uploads go 30 days after the rejection; 0 days means at the next purge; keep means never")
    func rejected() {
        var policy = RetentionPolicy()
        #expect(policy.decideRejection(id: 7, at: Self.start, now: Self.at(days: 29.9)) == nil)
        #expect(policy.decideRejection(id: 7, at: Self.start, now: Self.at(days: 30))
            == Removal(subject: .rejectedUpload(id: 7), rule: .rejectedUpload, since: Self.start))
        policy.rejectedUploads = .after(0)
        #expect(policy.decideRejection(id: 7, at: Self.start, now: Self.start) != nil)
        policy.rejectedUploads = .keep
        #expect(policy.decideRejection(id: 7, at: Self.start, now: Self.at(days: 10_000)) == nil)
        #expect(policy.rejectionCutoff(now: Self.start) == nil)
    }

    @Test("Delivery attempts: the cutoff is the period before now, nil when kept")
    func attempts() {
        var policy = RetentionPolicy()
        #expect(policy.attemptCutoff(now: Self.at(days: 100)) == Self.at(days: 10))
        policy.deliveryAttempts = .keep
        #expect(policy.attemptCutoff(now: Self.at(days: 100)) == nil)
    }

    @Test("Set-aside folders go only when a number of days is set")
    func orphaned() {
        var policy = RetentionPolicy()
        policy.orphanedFolders = .after(14 * Self.day)
        #expect(policy.decideOrphaned(name: "C-1", writtenAt: Self.start, now: Self.at(days: 13)) == nil)
        #expect(policy.decideOrphaned(name: "C-1", writtenAt: Self.start, now: Self.at(days: 14))?.rule == .orphanedFolder)
    }

    @Test("All removals at once: cases oldest clock first, then rejections, then folders; held and open ones left")
    func removalsTogether() {
        var policy = RetentionPolicy()
        policy.withdrawnCases = .after(0)
        policy.orphanedFolders = .after(0)
        let cases = [
            ClosedCaseFacts(id: "C-late", state: .withdrawn, closedAt: Self.at(days: 5)),
            ClosedCaseFacts(id: "C-held", state: .withdrawn, closedAt: Self.start, held: true),
            ClosedCaseFacts(id: "C-early", state: .withdrawn, closedAt: Self.at(days: 1)),
            ClosedCaseFacts(id: "C-kept", state: .responded, closedAt: Self.start),
        ]
        let removals = policy.removals(
            cases: cases, rejections: [(id: 1, at: Self.start), (id: 2, at: Self.at(days: 39))],
            orphaned: [(name: "C-x", writtenAt: Self.start)], now: Self.at(days: 40))
        #expect(removals.map(\.subject) == [
            .caseFiles(caseID: "C-early"), .caseFiles(caseID: "C-late"), .rejectedUpload(id: 1), .orphanedFolder(name: "C-x"),
        ])
    }

    @Test("A tombstone names what and which rule, and never more than it is given")
    func tombstone() {
        let event = AuditEvent.tombstone(.caseFile, rule: .withdrawnCase, ["file": "file-1.pdf", "sha256": "ab"])
        #expect(event.type == .purge)
        #expect(event.detail == ["what": "case_file", "rule": "withdrawn_case", "file": "file-1.pdf", "sha256": "ab"])
        let one = FolderDigest.of([(path: "b", sha256: "2", size: 2), (path: "a", sha256: "1", size: 1)])
        #expect(one == FolderDigest.of([(path: "a", sha256: "1", size: 1), (path: "b", sha256: "2", size: 2)]), "order does not matter")
        #expect(one != FolderDigest.of([(path: "a", sha256: "1", size: 1)]))
    }

    @Test("A purged file keeps a neutral name: its number and a short plain extension, nothing of its path")
    func purgedFileName() {
        #expect(PurgedFileName.of(index: 1, path: "Jane Doe DOB 1968-04-02 MRI.pdf") == "file-1.pdf")
        #expect(PurgedFileName.of(index: 2, path: "Doe_Jane/series-1/IM0001.DCM") == "file-2.dcm")
        #expect(PurgedFileName.of(index: 3, path: "DOE JANE") == "file-3")
        #expect(PurgedFileName.of(index: 4, path: "scan.Jane Doe") == "file-4", "an extension that is not short and plain is dropped")
        #expect(PurgedFileName.of(index: 5, path: ".hidden") == "file-5")
    }

    @Test("A purged study summary keeps the images' shape, not the patient, the UIDs, the dates or the institution")
    func purgedStudySummary() {
        var summary = StudySummary(studies: [StudySummary.Study(
            uid: "1.2.3", date: "20261101", description: "MRI L-spine", modality: "MR", institution: "St Elsewhere", manufacturer: "ACME",
            model: nil, fieldStrength: 1.5, series: [StudySummary.Series(
                uid: "1.2.3.4", number: 1, description: "T2 sag", modality: "MR", bodyPart: "LSPINE", protocolName: nil, plane: nil,
                sliceThickness: 4, images: 12, isLocalizer: false)])])
        summary.patients = [StudySummary.ImagePatient(name: "DOE^JANE", birthDate: "19680402")]
        let purged = summary.purged
        #expect(purged.patients.isEmpty)
        let study = purged.studies[0]
        #expect(study.uid == "" && study.date == nil && study.institution == nil && study.series[0].uid == "")
        #expect(study.modality == "MR" && study.series[0].description == "T2 sag" && study.series[0].images == 12)
    }
}

extension RetentionPolicyTests {
    @Test("A period says when something becomes due, and its days, for opine orphaned; kept has neither")
    func dueAt() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetentionPeriod.after(2 * 86400).dueAt(since: start) == start.addingTimeInterval(2 * 86400))
        #expect(RetentionPeriod.after(2 * 86400).days == 2)
        #expect(RetentionPeriod.keep.dueAt(since: start) == nil && RetentionPeriod.keep.days == nil)
    }
}
