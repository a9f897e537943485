import Foundation
@testable import OpineKit
import Testing

@Suite("Delivery schedule: what to start, when to scan")
struct DeliveryScheduleTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func due(_ id: Int64, endpoint: String = "desk", rank: Int = 2) -> DueDelivery {
        let event = OutboxRecord(id: id, type: .caseReceived, caseID: "C-\(id)", rejectionID: nil, createdAt: "t", data: "{}", webhookID: "msg_\(id)")
        let delivery = DeliveryRecord(
            id: id, outboxID: id, endpoint: endpoint, orderingKey: "C-\(id)", priorityRank: rank, state: .pending, attempts: 0,
            nextAttemptAt: 0, createdAt: "t", finishedAt: nil, lastStatus: nil, lastError: nil)
        return DueDelivery(delivery: delivery, event: event, contact: nil)
    }

    static func scan(_ due: [DueDelivery], health: [EndpointHealth] = [], nextRetryAt: Double? = nil) -> QueueScan {
        QueueScan(due: due, health: Dictionary(uniqueKeysWithValues: health.map { ($0.name, $0) }), nextRetryAt: nextRetryAt)
    }

    @Test("Starts the most urgent first, within the global and the per-endpoint limits")
    func limits() {
        var schedule = DeliverySchedule(maxInFlight: 5, maxInFlightPerEndpoint: 3, pollInterval: 0.5)
        let due = (1...6).map { Self.due($0) } + [Self.due(7, endpoint: "messaging"), Self.due(8, endpoint: "messaging", rank: 0)]
        schedule.scanned(Self.scan(due.sorted { ($0.delivery.priorityRank, $0.delivery.id!) < ($1.delivery.priorityRank, $1.delivery.id!) }), now: Self.start)
        let first = schedule.startable(now: Self.start)
        #expect(first.map(\.delivery.id!) == [8, 1, 2, 3, 7], "the emergency first, then three to desk and one more to messaging")
        for due in first { schedule.started(due, at: Self.start) }
        #expect(schedule.startable(now: Self.start).isEmpty, "all five slots are taken")
        schedule.finished(1, health: EndpointHealth(name: "desk"), now: Self.start)
        #expect(schedule.startable(now: Self.start).map(\.delivery.id!) == [4])
    }

    @Test("A disabled endpoint gets nothing; a paused one a single probe once its pause ends")
    func health() {
        var disabled = EndpointHealth(name: "desk")
        disabled.disable(at: 0, reason: "410")
        var schedule = DeliverySchedule(maxInFlight: 10, maxInFlightPerEndpoint: 4, pollInterval: 0.5)
        schedule.scanned(Self.scan([Self.due(1), Self.due(2)], health: [disabled]), now: Self.start)
        #expect(schedule.startable(now: Self.start).isEmpty)

        var paused = EndpointHealth(name: "desk")
        paused.pausedUntil = Self.start.timeIntervalSince1970 + 60
        schedule.scanned(Self.scan([Self.due(1), Self.due(2)], health: [paused]), now: Self.start)
        #expect(schedule.startable(now: Self.start).isEmpty, "still paused")
        #expect(abs(schedule.sleep(now: Self.start) - 0.5) < 0.001, "wakes for its poll, before the pause ends")
        let later = Self.start.addingTimeInterval(61)
        #expect(schedule.wantsScan(now: later))
        #expect(schedule.startable(now: later).map(\.delivery.id!) == [1], "one probe")
    }

    @Test("Scans when asked, at the poll interval, when a retry falls due, and when finished work leaves it short")
    func whenToScan() {
        var schedule = DeliverySchedule(maxInFlight: 8, maxInFlightPerEndpoint: 8, pollInterval: 0.5)
        #expect(schedule.wantsScan(now: Self.start), "a new worker scans at once")
        schedule.scanned(Self.scan((1...20).map { Self.due($0) }, nextRetryAt: Self.start.timeIntervalSince1970 + 0.2), now: Self.start)
        #expect(!schedule.wantsScan(now: Self.start))
        #expect(abs(schedule.sleep(now: Self.start) - 0.2) < 0.001, "sleeps until the retry")
        #expect(schedule.wantsScan(now: Self.start.addingTimeInterval(0.2)))
        #expect(schedule.wantsScan(now: Self.start.addingTimeInterval(0.5)))
        schedule.requestScan()
        #expect(schedule.wantsScan(now: Self.start))

        schedule.scanned(Self.scan((1...10).map { Self.due($0) }), now: Self.start)
        let started = schedule.startable(now: Self.start)
        for due in started { schedule.started(due, at: Self.start) }
        schedule.finished(started[0].delivery.id!, health: EndpointHealth(name: "desk"), now: Self.start)
        #expect(!schedule.wantsScan(now: Self.start), "two still ready for one free slot: no scan for one finished delivery")
        for due in started.dropFirst() { schedule.finished(due.delivery.id!, health: EndpointHealth(name: "desk"), now: Self.start) }
        #expect(schedule.wantsScan(now: Self.start), "ready ran short after deliveries finished: their cases' next events may be due")
        #expect(schedule.sleep(now: Self.start) == 0)
    }

    @Test("An attempt that could not be recorded is left out of scans while it cools off")
    func cooling() {
        var schedule = DeliverySchedule(maxInFlight: 8, maxInFlightPerEndpoint: 8, pollInterval: 0.5)
        schedule.scanned(Self.scan([Self.due(1)]), now: Self.start)
        schedule.started(schedule.startable(now: Self.start)[0], at: Self.start)
        schedule.finished(1, health: nil, now: Self.start)
        #expect(schedule.busy == [1])
        schedule.scanned(Self.scan([Self.due(1)]), now: Self.start.addingTimeInterval(1))
        #expect(schedule.startable(now: Self.start.addingTimeInterval(1)).isEmpty)
        schedule.scanned(Self.scan([Self.due(1)]), now: Self.start.addingTimeInterval(31))
        #expect(schedule.startable(now: Self.start.addingTimeInterval(31)).map(\.delivery.id!) == [1])
    }
}
