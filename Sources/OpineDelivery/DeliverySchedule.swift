import Foundation
import OpineCore
import OpineStore

/// What the delivery worker knows between database scans, as a value type: the due deliveries the last scan found,
/// what is in flight, each endpoint's health, and when to look at the database again. It answers one question,
/// `next(now:)`: scan, start these, or sleep this long. The worker does the I/O and reports back (`scanned`,
/// `finished`), so a scan (fan-out, health, due query) is paid once per batch of deliveries rather than once per
/// finished transfer.
struct DeliverySchedule {
    /// What the worker must do now.
    enum Action {
        /// Fan out and read the queue, leaving out `busy`, then report it with `scanned(_:now:)`.
        case scan(busy: Set<Int64>)
        /// Send these; they are in flight from now until `finished(_:health:now:)`.
        case start([DueDelivery])
        /// Wait for transfers this long at most, then ask again.
        case sleep(seconds: Double)
    }

    struct InFlight {
        var endpoint: String
        var startedAt: Date
        var event: OutboxRecord
    }

    private(set) var maxInFlight: Int
    private(set) var maxInFlightPerEndpoint: Int
    let pollInterval: Double
    /// The configured endpoints; deliveries to one a reload removed wait, visible in `opine deliveries`.
    private var endpoints: Set<String>?
    private(set) var ready: [DueDelivery] = []
    private(set) var inFlight: [Int64: InFlight] = [:]
    private(set) var health: [String: EndpointHealth] = [:]
    /// Deliveries whose attempt could not be recorded (a full disk, say): not resent until then, so a failing
    /// database cannot turn into a flood of repeats.
    private(set) var cooling: [Int64: Date] = [:]
    private var lastScan = Date.distantPast
    private var nextDue: Double?
    /// A finished delivery may have let its case's next event become due; worth a scan once `ready` runs low.
    private var finishedSinceScan = false
    /// Something changed outside the worker's view (new events, a reload, `opine` after a poll): scan now.
    private var scanRequested = true

    init(maxInFlight: Int, maxInFlightPerEndpoint: Int, pollInterval: Double) {
        self.maxInFlight = maxInFlight
        self.maxInFlightPerEndpoint = maxInFlightPerEndpoint
        self.pollInterval = pollInterval
    }

    /// Takes the limits and endpoints of a (re)loaded configuration; attempts in flight finish as they began.
    mutating func configure(_ settings: WebhookSettings) {
        maxInFlight = settings.maxInFlight
        maxInFlightPerEndpoint = settings.maxInFlightPerEndpoint
        endpoints = Set(settings.endpoints.map(\.name))
    }

    /// The one question the worker asks: scan first if the database may know more than the last scan; otherwise
    /// start what the limits allow; otherwise sleep until the poll, the next retry or a pause's end.
    /// With `mayScan` false (the worker scanned moments ago), it starts what is ready or sleeps, and the scan waits
    /// for the worker's next pass.
    mutating func next(now: Date, mayScan: Bool = true) -> Action {
        if mayScan, wantsScan(now: now) { return .scan(busy: busy) }
        let chosen = startable(now: now)
        if !chosen.isEmpty { return .start(chosen) }
        return .sleep(seconds: sleep(now: now))
    }

    /// Deliveries the next scan must leave out: being sent, or cooling off.
    var busy: Set<Int64> { Set(inFlight.keys).union(cooling.keys) }

    /// Something changed outside the worker's view (intake wrote events, a reload): scan at the next `next`.
    mutating func requestScan() { scanRequested = true }

    private func wantsScan(now: Date) -> Bool {
        if scanRequested || now.timeIntervalSince(lastScan) >= pollInterval { return true }
        if let nextDue, now.timeIntervalSince1970 >= nextDue { return true }
        return finishedSinceScan && ready.count < maxInFlight - inFlight.count
    }

    /// A scan's result replaces what the previous one found: it is the database's current view of what is due.
    mutating func scanned(_ scan: QueueScan, now: Date) {
        cooling = cooling.filter { $0.value > now }
        let busy = self.busy
        ready = scan.due.filter { !busy.contains($0.delivery.id!) }
        health = scan.health
        nextDue = scan.nextRetryAt
        for entry in health.values {
            if let pausedUntil = entry.pausedUntil, pausedUntil > now.timeIntervalSince1970 { nextDue = min(nextDue ?? pausedUntil, pausedUntil) }
        }
        lastScan = now
        scanRequested = false
        finishedSinceScan = false
    }

    /// Takes from `ready`, most urgent first, what the global and per-endpoint limits allow now, and puts it in
    /// flight.
    private mutating func startable(now: Date) -> [DueDelivery] {
        var room = maxInFlight - inFlight.count
        guard room > 0, !ready.isEmpty else { return [] }
        var sending: [String: Int] = [:]
        for flight in inFlight.values { sending[flight.endpoint, default: 0] += 1 }
        var chosen: [DueDelivery] = [], kept: [DueDelivery] = []
        kept.reserveCapacity(ready.count)
        for due in ready {
            let endpoint = due.delivery.endpoint
            if let endpoints, !endpoints.contains(endpoint) { continue }
            let allowance = (health[endpoint] ?? EndpointHealth(name: endpoint))
                .allowance(perEndpoint: maxInFlightPerEndpoint, now: now.timeIntervalSince1970)
            if room > 0, sending[endpoint, default: 0] < allowance {
                chosen.append(due)
                sending[endpoint, default: 0] += 1
                room -= 1
            } else {
                kept.append(due)
            }
        }
        ready = kept
        for due in chosen {
            inFlight[due.delivery.id!] = InFlight(endpoint: due.delivery.endpoint, startedAt: now, event: due.event)
        }
        return chosen
    }

    /// The attempt ended and was recorded (with the endpoint's new health) or could not be (`health` nil).
    mutating func finished(_ id: Int64, health updated: EndpointHealth?, now: Date) {
        guard let flight = inFlight.removeValue(forKey: id) else { return }
        if let updated {
            health[flight.endpoint] = updated
            if let pausedUntil = updated.pausedUntil { nextDue = min(nextDue ?? pausedUntil, pausedUntil) }
        } else {
            cooling[id] = now.addingTimeInterval(30)
        }
        finishedSinceScan = true
    }

    /// The attempt in flight for a delivery, to build its report.
    func inFlightAttempt(_ id: Int64) -> InFlight? { inFlight[id] }

    /// How long the worker may wait for transfers before it must scan or start something.
    private func sleep(now: Date) -> Double {
        var wait = pollInterval - now.timeIntervalSince(lastScan)
        if let nextDue { wait = min(wait, nextDue - now.timeIntervalSince1970) }
        return max(wait, 0.001)
    }
}
