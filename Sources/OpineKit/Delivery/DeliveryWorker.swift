import Foundation
import Logging
import Synchronization

/// Sends what the outbox holds: fans new events out to endpoints, starts every due delivery the limits allow
/// (emergencies first, one case's events in order per endpoint), records each attempt, and sleeps until a transfer
/// finishes, a retry falls due, intake announces something, or `pollInterval` passes (changes made by `opine` in
/// another process are seen within it). Runs on one thread that owns libcurl's handles.
public final class DeliveryWorker: Sendable {
    let store: CaseStore
    let logger: Logger
    let pollInterval: Double
    let heartbeat: Heartbeat?
    private let control = Mutex(Control())
    /// Endpoints, limits and secrets in force; a configuration reload swaps them between passes.
    private let current: Mutex<(settings: WebhookSettings, signers: [String: WebhookSigner])>
    var settings: WebhookSettings { current.withLock { $0.settings } }
    var signers: [String: WebhookSigner] { current.withLock { $0.signers } }

    private struct Control {
        var stopping = false
        var waker: CurlMulti.Waker?
    }

    private struct InFlight {
        var endpoint: String
        var startedAt: Date
    }

    public init(
        store: CaseStore, settings: WebhookSettings, signers: [String: WebhookSigner], logger: Logger,
        pollInterval: Double = 0.5, heartbeat: Heartbeat? = nil
    ) {
        self.store = store
        current = Mutex((settings, signers))
        self.logger = logger
        self.pollInterval = pollInterval
        self.heartbeat = heartbeat
    }

    /// Applies a reloaded configuration from the next pass on; attempts in flight finish as they began.
    public func apply(settings: WebhookSettings, signers: [String: WebhookSigner]) {
        current.withLock { $0 = (settings, signers) }
        wake()
    }

    /// Something new is in the outbox: look now rather than at the next poll.
    public func wake() {
        control.withLock { $0.waker }?.wake()
    }

    /// Stop starting attempts; `run` returns once those in flight end (each within its endpoint's timeout).
    public func stop() {
        let waker = control.withLock { control in
            control.stopping = true
            return control.waker
        }
        waker?.wake()
    }

    public func run() throws {
        let curl = try CurlMulti(maxConnectionsPerHost: settings.maxInFlightPerEndpoint, maxConnections: settings.maxInFlight)
        control.withLock { $0.waker = curl.waker }
        defer { control.withLock { $0.waker = nil } }
        var inFlight: [Int64: InFlight] = [:]
        // Deliveries whose attempt could not be recorded (a full disk, say): not resent until this time, so a
        // failing database cannot turn into a flood of repeats.
        var coolingUntil: [Int64: Date] = [:]
        var stopLogged = false
        while true {
            heartbeat?.beat()
            let stopping = control.withLock { $0.stopping }
            if stopping {
                if inFlight.isEmpty { break }
                if !stopLogged {
                    logger.notice("stopping: waiting for webhook attempts in flight", metadata: ["in_flight": "\(inFlight.count)"])
                    stopLogged = true
                }
            }
            var wait = pollInterval
            if !stopping {
                do {
                    coolingUntil = coolingUntil.filter { $0.value > Date() }
                    wait = min(wait, try startDue(curl: curl, inFlight: &inFlight, cooling: Set(coolingUntil.keys)))
                } catch {
                    logger.error("webhook queue unavailable; trying again shortly", metadata: ["error": "\(error)"])
                    wait = 1
                }
            }
            curl.wait(seconds: wait)
            for response in curl.collect() {
                guard let started = inFlight.removeValue(forKey: response.tag) else { continue }
                if !record(response, started: started) { coolingUntil[response.tag] = Date().addingTimeInterval(30) }
            }
        }
    }

    /// Starts what is due and allowed; returns how long the loop may sleep before something else falls due.
    private func startDue(curl: CurlMulti, inFlight: inout [Int64: InFlight], cooling: Set<Int64>) throws -> Double {
        let now = Date()
        let seconds = now.timeIntervalSince1970
        let settings = self.settings
        try store.fanOut(to: settings.endpoints, now: now)
        let health = try store.endpointHealth()
        var candidates: [(DueDelivery, Endpoint)] = []
        for endpoint in settings.endpoints {
            let sending = Set(inFlight.filter { $0.value.endpoint == endpoint.name }.keys)
            let busy = sending.union(cooling)
            let allowance = (health[endpoint.name] ?? EndpointHealth(name: endpoint.name))
                .allowance(perEndpoint: settings.maxInFlightPerEndpoint, now: seconds) - sending.count
            candidates += try store.dueDeliveries(endpoint: endpoint, now: seconds, busy: busy, limit: allowance).map { ($0, endpoint) }
        }
        candidates.sort { ($0.0.delivery.priorityRank, $0.0.delivery.id!) < ($1.0.delivery.priorityRank, $1.0.delivery.id!) }
        for (due, endpoint) in candidates.prefix(max(0, settings.maxInFlight - inFlight.count)) {
            let id = due.delivery.id!
            do {
                try curl.add(try request(for: due, to: endpoint))
                inFlight[id] = InFlight(endpoint: endpoint.name, startedAt: now)
            } catch {
                // Cannot even be sent (a body that will not encode): count it as a failed attempt so it cannot spin.
                _ = record(WebhookResponse(tag: id, outcome: .connectionFailed, error: "not sent: \(error)", body: Data(), duration: 0),
                           started: InFlight(endpoint: endpoint.name, startedAt: now))
            }
        }
        var wait = pollInterval
        if let next = try store.nextRetryTime(after: seconds) { wait = min(wait, next - seconds) }
        for entry in health.values {
            if let pausedUntil = entry.pausedUntil, pausedUntil > seconds { wait = min(wait, pausedUntil - seconds) }
        }
        return max(wait, 0.001)
    }

    func request(for due: DueDelivery, to endpoint: Endpoint) throws -> WebhookRequest {
        let event = due.event
        let message = WebhookMessage(
            type: event.type, timestamp: event.createdAt, data: try NotificationData.decode(event.data), contact: due.contact)
        let body = try message.body()
        let webhookID = event.webhookID ?? "msg_outbox_\(event.id!)"
        let timestamp = Int(Date().timeIntervalSince1970)
        var headers = ["content-type: application/json", "webhook-id: \(webhookID)", "webhook-timestamp: \(timestamp)"]
        if let signer = signers[endpoint.name] {
            headers.append("webhook-signature: \(signer.signature(id: webhookID, timestamp: timestamp, body: body))")
        }
        return WebhookRequest(
            tag: due.delivery.id!, url: endpoint.url, headers: headers, body: body, timeout: endpoint.timeout,
            allowHTTP: endpoint.allowHTTP, maxResponseBytes: settings.maxResponseBytes)
    }

    /// Records the attempt and logs what it led to; false if it could not be recorded.
    private func record(_ response: WebhookResponse, started: InFlight) -> Bool {
        let report = AttemptReport(
            deliveryID: response.tag, endpoint: started.endpoint, startedAt: started.startedAt, duration: response.duration,
            outcome: response.outcome, error: response.error, responseExcerpt: Self.excerpt(response.body))
        let consequence: AttemptConsequence
        do {
            consequence = try store.recordAttempt(report, settings: settings, now: Date(), random: Double.random(in: 0..<1))
        } catch {
            // The delivery stays due and is attempted again: at least once, never lost.
            logger.error("could not record a webhook attempt; it will be repeated", metadata: [
                "delivery": "\(response.tag)", "endpoint": "\(started.endpoint)", "error": "\(error)",
            ])
            return false
        }
        var metadata: Logger.Metadata = [
            "delivery": "\(response.tag)", "endpoint": "\(started.endpoint)", "event": "\(consequence.event.type.rawValue)",
            "ms": "\(Int(response.duration * 1000))",
        ]
        if let caseID = consequence.event.caseID { metadata["case"] = "\(caseID)" }
        if let status = report.status { metadata["status"] = "\(status)" }
        if let error = response.error { metadata["error"] = "\(error)" }
        switch consequence.decision {
        case .delivered:
            logger.info("webhook delivered", metadata: metadata)
        case .retry(let after):
            metadata["attempt"] = "\(consequence.delivery.attempts)"
            metadata["retry_in_s"] = "\(Int(after.rounded(.up)))"
            logger.notice("webhook attempt failed; will retry", metadata: metadata)
        case .dead:
            metadata["attempts"] = "\(consequence.delivery.attempts)"
            metadata["held_behind"] = "\(consequence.heldBehind)"
            logger.error("webhook delivery dead; replay with `opine redeliver`", metadata: metadata)
        case .disableEndpoint:
            logger.error("endpoint answered 410 Gone and is disabled; re-enable with `opine endpoints enable`", metadata: metadata)
        }
        if consequence.endpointPaused {
            logger.warning("endpoint paused after failing too long; probing it every \(Int(settings.probeInterval)) s", metadata: [
                "endpoint": "\(started.endpoint)",
            ])
        }
        return true
    }

    /// The first bytes a receiver answered, printable, for the attempt history.
    static func excerpt(_ body: Data) -> String? {
        guard !body.isEmpty else { return nil }
        return String(decoding: body.prefix(256), as: UTF8.self).escapedForDisplay
    }
}
