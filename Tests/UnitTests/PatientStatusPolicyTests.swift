import Foundation
import OpineCore
import Testing

/// What opined's webhooks make of a submission's status on the patient's page, decided without a service or a clock.
@Suite("PatientStatusPolicy: webhooks to patient status")
struct PatientStatusPolicyTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let sent = PatientStatusPolicy.Current(status: .sent, emergency: false, uploadDigest: "5d0f7a31c2be")

    static func event(
        _ type: NotificationType?, id: String = "msg_1", at seconds: Double = 0, state: CaseState? = nil, priority: Priority? = nil,
        digest: String? = nil
    ) -> StatusWebhook {
        StatusWebhook(id: id, type: type, timestamp: t0 + seconds, caseState: state, priority: priority, uploadDigest: digest)
    }

    static func applied(_ decision: PatientStatusPolicy.Decision) -> PatientStatusPolicy.Change? {
        if case .apply(let change) = decision { return change }
        return nil
    }

    @Test("Each case event turns the status the page shows, from the case's state or else the event")
    func caseEvents() {
        let byState: [(CaseState, PatientStatus)] = [
            (.received, .received), (.triaged, .beingReviewed), (.reviewed, .beingReviewed),
            (.awaitingInformation, .moreInformationRequested), (.responded, .answered), (.withdrawn, .withdrawn),
        ]
        for (state, status) in byState {
            #expect(Self.applied(PatientStatusPolicy.decide(Self.event(.caseUpdated, state: state), current: Self.sent))?.status == status)
        }
        let byType: [(NotificationType, PatientStatus)] = [
            (.caseReceived, .received), (.caseEmergency, .received), (.caseTriaged, .beingReviewed), (.caseReviewed, .beingReviewed),
            (.caseInformationRequested, .moreInformationRequested), (.caseResponded, .answered), (.caseWithdrawn, .withdrawn),
        ]
        for (type, status) in byType {
            #expect(Self.applied(PatientStatusPolicy.decide(Self.event(type), current: Self.sent))?.status == status, "\(type)")
        }
        #expect(PatientStatusPolicy.decide(Self.event(.caseOverdue), current: Self.sent) == .ignore(.notAboutStatus))
        #expect(PatientStatusPolicy.decide(Self.event(nil, state: .received), current: Self.sent) == .ignore(.notAboutStatus))
    }

    @Test("Emergency: from case.emergency, or the case's priority; kept when an event carries none")
    func emergency() {
        let first = Self.applied(PatientStatusPolicy.decide(Self.event(.caseEmergency, state: .received, priority: .emergency), current: Self.sent))
        #expect(first?.status == .received && first?.emergency == true)
        let received = Self.applied(PatientStatusPolicy.decide(Self.event(.caseReceived, state: .received, priority: .emergency), current: Self.sent))
        #expect(received?.emergency == true)
        let routine = Self.applied(PatientStatusPolicy.decide(Self.event(.caseReceived, state: .received, priority: .routine), current: Self.sent))
        #expect(routine?.emergency == false)
        var flagged = Self.sent
        flagged.emergency = true
        #expect(Self.applied(PatientStatusPolicy.decide(Self.event(.caseReceived), current: flagged))?.emergency == true)
    }

    @Test("bundle.rejected refuses with the code, the entry (else the field) and the rejection id; another upload's is ignored")
    func refusal() {
        var event = Self.event(.bundleRejected, digest: "5d0f7a31c2be")
        event.reason = "checksum_mismatch"
        event.entry = "report.pdf"
        event.field = "files[0].sha256"
        event.rejectionID = "R-20261126-3f9a0c2e71d4"
        let change = Self.applied(PatientStatusPolicy.decide(event, current: Self.sent))
        #expect(change?.status == .refused)
        #expect(change?.refusal == .init(code: "checksum_mismatch", entry: "report.pdf", rejectionID: "R-20261126-3f9a0c2e71d4"))
        event.entry = nil
        #expect(Self.applied(PatientStatusPolicy.decide(event, current: Self.sent))?.refusal?.entry == "files[0].sha256")
        event.uploadDigest = "000000000000"
        #expect(PatientStatusPolicy.decide(event, current: Self.sent) == .ignore(.otherUpload))
        event.uploadDigest = nil
        #expect(Self.applied(PatientStatusPolicy.decide(event, current: Self.sent))?.status == .refused, "an event without a digest matches by id")
    }

    @Test("An older event never overwrites a newer one; the same instant keeps the later status; a redelivery is applied once")
    func ordering() {
        let reviewed = PatientStatusPolicy.Current(
            status: .beingReviewed, emergency: false, uploadDigest: "5d0f7a31c2be", lastWebhookID: "msg_5", lastEventAt: Self.t0 + 60)
        #expect(PatientStatusPolicy.decide(Self.event(.caseReceived, id: "msg_2", at: 10, state: .received), current: reviewed) == .ignore(.older))
        #expect(PatientStatusPolicy.decide(Self.event(.caseReceived, id: "msg_2", at: 60, state: .received), current: reviewed) == .ignore(.older))
        #expect(PatientStatusPolicy.decide(Self.event(.caseTriaged, id: "msg_5", at: 60, state: .triaged), current: reviewed) == .ignore(.duplicate))
        let asked = Self.applied(PatientStatusPolicy.decide(Self.event(.caseInformationRequested, id: "msg_6", at: 61, state: .awaitingInformation), current: reviewed))
        #expect(asked?.status == .moreInformationRequested && asked?.webhookID == "msg_6" && asked?.eventAt == Self.t0 + 61)
        var waiting = reviewed
        waiting.status = .moreInformationRequested
        let back = Self.applied(PatientStatusPolicy.decide(Self.event(.caseUpdated, id: "msg_7", at: 90, state: .triaged), current: waiting))
        #expect(back?.status == .beingReviewed, "a supplement sends the case back to review: newer, so applied")
    }

    @Test("A refused submission sent again under its id and received clears the refusal")
    func fixedAfterRefusal() {
        let refused = PatientStatusPolicy.Current(
            status: .refused, emergency: false, uploadDigest: "5d0f7a31c2be", lastWebhookID: "msg_1", lastEventAt: Self.t0)
        let change = Self.applied(PatientStatusPolicy.decide(Self.event(.caseReceived, id: "msg_2", at: 300, state: .received), current: refused))
        #expect(change?.status == .received && change?.refusal == nil)
    }

    @Test("A status is swept once it has not changed for longer than uploads.status_kept_days")
    func expiry() {
        let kept: TimeInterval = 90 * 86400
        #expect(!PatientStatusPolicy.isExpired(updatedAt: Self.t0, now: Self.t0 + kept, keptFor: kept))
        #expect(PatientStatusPolicy.isExpired(updatedAt: Self.t0, now: Self.t0 + kept + 1, keptFor: kept))
        #expect(!PatientStatusPolicy.isExpired(updatedAt: Self.t0 + 10, now: Self.t0, keptFor: kept), "a clock behind is not an expiry")
    }

    @Test("A body is read leniently: unknown types and values are nil, not failures; a body without a time is malformed")
    func parsing() throws {
        let body = try WebhookMessage(
            type: .bundleRejected, timestamp: "2026-11-26T20:03:12.500Z",
            data: NotificationData(rejectionCode: "checksum_mismatch", submissionID: "web-4412", rejectionID: "R-1", uploadDigest: "5d0f7a31c2be", entry: "report.pdf")
        ).body()
        let parsed = try StatusWebhook.parse(id: "msg_9", body: body)
        #expect(parsed.type == .bundleRejected && parsed.submissionID == "web-4412" && parsed.uploadDigest == "5d0f7a31c2be")
        #expect(parsed.reason == "checksum_mismatch" && parsed.entry == "report.pdf" && parsed.timestamp == Timestamps.parse("2026-11-26T20:03:12.500Z"))
        let future = try StatusWebhook.parse(
            id: "msg_10", body: Data(#"{"type":"case.teleported","timestamp":"2026-11-26T20:03:12Z","data":{"state":"elsewhere","priority":"soon","flags":["new_flag"]}}"#.utf8))
        #expect(future.type == nil && future.caseState == nil && future.priority == nil)
        #expect(!parsed.carriesContact)
        let withContact = try WebhookMessage(
            type: .caseResponded, timestamp: "2026-11-26T20:03:12.500Z",
            data: NotificationData(
                caseID: "C-1", state: .responded, priority: .routine, regions: [], assignee: nil, submissionID: "web-1", receivedAt: "x", updatedAt: "x"),
            contact: .init(name: "Jane Q. Doe", email: nil, phone: nil)
        ).body()
        #expect(try StatusWebhook.parse(id: "msg_11", body: withContact).carriesContact, "an include_contact endpoint is noticed")
        #expect(throws: StatusWebhook.Malformed.self) { try StatusWebhook.parse(id: "m", body: Data(#"{"type":"case.received","data":{}}"#.utf8)) }
        #expect(throws: StatusWebhook.Malformed.self) { try StatusWebhook.parse(id: "m", body: Data("not json".utf8)) }
    }
}
