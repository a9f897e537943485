import Foundation

/// What the delivery worker knows between database scans, as a value type: the due deliveries the last scan found,
/// what is in flight, each endpoint's health, and when to look at the database again. The worker does the I/O; this
/// decides what to start and when to scan, so a scan (fan-out, health, due query) is paid once per batch of
/// deliveries rather than once per finished transfer.
struct DeliverySchedule {
    struct InFlight {
        var endpoint: String
        var startedAt: Date
        var event: OutboxRecord
    }

    var maxInFlight: Int
    var maxInFlightPerEndpoint: Int
    var pollInterval: Double
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

    /// Deliveries the next scan must leave out: being sent, or cooling off.
    var busy: Set<Int64> { Set(inFlight.keys).union(cooling.keys) }

    mutating func requestScan() { scanRequested = true }

    func wantsScan(now: Date) -> Bool {
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

    /// Takes from `ready`, most urgent first, what the global and per-endpoint limits allow now.
    mutating func startable(now: Date) -> [DueDelivery] {
        var room = maxInFlight - inFlight.count
        guard room > 0, !ready.isEmpty else { return [] }
        var sending: [String: Int] = [:]
        for flight in inFlight.values { sending[flight.endpoint, default: 0] += 1 }
        var chosen: [DueDelivery] = [], kept: [DueDelivery] = []
        kept.reserveCapacity(ready.count)
        for due in ready {
            let endpoint = due.delivery.endpoint
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
        return chosen
    }

    mutating func started(_ due: DueDelivery, at now: Date) {
        inFlight[due.delivery.id!] = InFlight(endpoint: due.delivery.endpoint, startedAt: now, event: due.event)
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

    func inFlightAttempt(_ id: Int64) -> InFlight? { inFlight[id] }

    /// How long the worker may wait for transfers before it must scan or start something.
    func sleep(now: Date) -> Double {
        if wantsScan(now: now) { return 0 }
        var wait = pollInterval - now.timeIntervalSince(lastScan)
        if let nextDue { wait = min(wait, nextDue - now.timeIntervalSince1970) }
        return max(wait, 0.001)
    }
}

/// One read of the delivery queue: what is due (each case's oldest open delivery per endpoint, most urgent first),
/// every endpoint's health, and when the next retry falls due.
struct QueueScan {
    var due: [DueDelivery]
    var health: [String: EndpointHealth]
    var nextRetryAt: Double?
}
