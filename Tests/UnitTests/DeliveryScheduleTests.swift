import Foundation
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
@testable import OpineDelivery
@testable import OpineDaemon
import OpineConfiguration
import Testing

@Suite("Delivery schedule: what to start, when to scan")
struct DeliveryScheduleTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func due(_ id: Int64, endpoint: String = "desk", rank: Int = 2) -> DueDelivery {
        let event = OutboxRecord(id: id, type: .caseReceived, caseID: "C-\(id)", rejectionID: nil, createdAt: "t", data: "{}", webhookID: "msg_\(id)", priorityRank: rank)
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
        let answer1 = schedule.scans(now: Self.start)
        #expect(answer1, "a new worker scans first")
        let due = (1...6).map { Self.due($0) } + [Self.due(7, endpoint: "messaging"), Self.due(8, endpoint: "messaging", rank: 0)]
        schedule.scanned(Self.scan(due.sorted { ($0.delivery.priorityRank, $0.delivery.id!) < ($1.delivery.priorityRank, $1.delivery.id!) }), now: Self.start)
        let answer2 = schedule.starts(now: Self.start)
        #expect(answer2 == [8, 1, 2, 3, 7], "the emergency first, then three to desk and one more to messaging")
        let answer3 = schedule.sleeps(now: Self.start)
        #expect(answer3 == 0.5, "all five slots are taken: sleep until the poll")
        schedule.finished(1, health: EndpointHealth(name: "desk"), now: Self.start)
        let answer4 = schedule.starts(now: Self.start)
        #expect(answer4 == [4])
    }

    @Test("A disabled endpoint gets nothing; a paused one a single probe once its pause ends")
    func health() {
        var disabled = EndpointHealth(name: "desk")
        disabled.disable(at: 0, reason: "410")
        var schedule = DeliverySchedule(maxInFlight: 10, maxInFlightPerEndpoint: 4, pollInterval: 0.5)
        schedule.scanned(Self.scan([Self.due(1), Self.due(2)], health: [disabled]), now: Self.start)
        let answer5 = schedule.starts(now: Self.start)
        #expect(answer5 == [])

        var paused = EndpointHealth(name: "desk")
        paused.pausedUntil = Self.start.timeIntervalSince1970 + 60
        schedule.scanned(Self.scan([Self.due(1), Self.due(2)], health: [paused]), now: Self.start)
        let answer6 = schedule.sleeps(now: Self.start)
        #expect(answer6 == 0.5, "still paused: wakes for its poll, before the pause ends")
        let later = Self.start.addingTimeInterval(61)
        let answer7 = schedule.scans(now: later)
        #expect(answer7)
        schedule.scanned(Self.scan([Self.due(1), Self.due(2)], health: [paused]), now: later)
        let answer8 = schedule.starts(now: later)
        #expect(answer8 == [1], "one probe")
    }

    @Test("Deliveries to an endpoint a reload removed are not started")
    func removedEndpoint() {
        var schedule = DeliverySchedule(maxInFlight: 10, maxInFlightPerEndpoint: 4, pollInterval: 0.5)
        var settings = WebhookSettings()
        settings.endpoints = [Endpoint(name: "messaging", url: "http://127.0.0.1:1/")]
        schedule.configure(settings)
        schedule.scanned(Self.scan([Self.due(1), Self.due(2, endpoint: "messaging")]), now: Self.start)
        let answer9 = schedule.starts(now: Self.start)
        #expect(answer9 == [2])
    }

    @Test("Scans when asked, at the poll interval, when a retry falls due, and when finished work leaves it short")
    func whenToScan() {
        var schedule = DeliverySchedule(maxInFlight: 8, maxInFlightPerEndpoint: 8, pollInterval: 0.5)
        schedule.scanned(Self.scan([], nextRetryAt: Self.start.timeIntervalSince1970 + 0.2), now: Self.start)
        let answer10 = schedule.sleeps(now: Self.start)
        #expect(abs((answer10 ?? 0) - 0.2) < 0.001, "sleeps until the retry")
        let answer11 = schedule.scans(now: Self.start.addingTimeInterval(0.2))
        #expect(answer11, "the retry is due")
        schedule.scanned(Self.scan([]), now: Self.start)
        let answer12 = schedule.scans(now: Self.start.addingTimeInterval(0.5))
        #expect(answer12, "the poll interval passed")
        schedule.scanned(Self.scan([]), now: Self.start)
        schedule.requestScan()
        let answer13 = schedule.scans(now: Self.start)
        #expect(answer13, "asked to")

        schedule.scanned(Self.scan((1...10).map { Self.due($0) }), now: Self.start)
        let started = schedule.starts(now: Self.start)
        #expect(started == Array(1...8))
        schedule.finished(started[0], health: EndpointHealth(name: "desk"), now: Self.start)
        let answer14 = schedule.starts(now: Self.start)
        #expect(answer14 == [9], "two still ready for one free slot: no scan for one finished delivery")
        for id in started.dropFirst() { schedule.finished(id, health: EndpointHealth(name: "desk"), now: Self.start) }
        let answer15 = schedule.scans(now: Self.start)
        #expect(answer15, "ready ran short after deliveries finished: their cases' next events may be due")
        schedule.scanned(Self.scan([Self.due(10)]), now: Self.start)
        let answer16 = schedule.starts(now: Self.start)
        #expect(answer16 == [10])
    }

    @Test("An attempt that could not be recorded is left out of scans while it cools off")
    func cooling() {
        var schedule = DeliverySchedule(maxInFlight: 8, maxInFlightPerEndpoint: 8, pollInterval: 0.5)
        schedule.scanned(Self.scan([Self.due(1)]), now: Self.start)
        let answer17 = schedule.starts(now: Self.start)
        #expect(answer17 == [1])
        schedule.finished(1, health: nil, now: Self.start)
        #expect(schedule.busy == [1])
        schedule.scanned(Self.scan([Self.due(1)]), now: Self.start.addingTimeInterval(1))
        let answer18 = schedule.starts(now: Self.start.addingTimeInterval(1))
        #expect(answer18 == [])
        schedule.scanned(Self.scan([Self.due(1)]), now: Self.start.addingTimeInterval(31))
        let answer19 = schedule.starts(now: Self.start.addingTimeInterval(31))
        #expect(answer19 == [1])
    }
}

@Suite("Delivery schedule: a slow scan")
struct DeliveryScheduleSlowScanTests {
    @Test("Right after a scan the schedule starts what it found, even if the poll interval has passed meanwhile")
    func startsAfterSlowScan() {
        var schedule = DeliverySchedule(maxInFlight: 8, maxInFlightPerEndpoint: 8, pollInterval: 0.5)
        schedule.scanned(DeliveryScheduleTests.scan([DeliveryScheduleTests.due(1)]), now: DeliveryScheduleTests.start)
        let late = DeliveryScheduleTests.start.addingTimeInterval(0.6)
        let afterScan = schedule.next(now: late, mayScan: false)
        guard case .start(let deliveries) = afterScan else {
            Issue.record("expected the scanned delivery to start, got \(afterScan)")
            return
        }
        #expect(deliveries.map { $0.delivery.id! } == [1])
        let answer = schedule.scans(now: late)
        #expect(answer, "the next pass scans again")
    }
}

extension DeliverySchedule {
    /// The ids `next` starts now, or [] when it asks for anything else.
    mutating func starts(now: Date) -> [Int64] {
        if case .start(let deliveries) = next(now: now) { return deliveries.map { $0.delivery.id! } }
        return []
    }

    /// Whether `next` asks for a scan now.
    mutating func scans(now: Date) -> Bool {
        if case .scan = next(now: now) { return true }
        return false
    }

    /// How long `next` says to sleep, or nil when it asks for anything else.
    mutating func sleeps(now: Date) -> Double? {
        if case .sleep(let seconds) = next(now: now) { return seconds }
        return nil
    }
}
