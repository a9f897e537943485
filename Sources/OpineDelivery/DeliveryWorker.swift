import Foundation
import Logging
import OpineCore
import OpineStore

/// Sends what the outbox holds: fans new events out to endpoints, starts every due delivery the limits allow
/// (emergencies first, one case's events in order per endpoint), records each attempt, and sleeps until a transfer
/// finishes, a retry falls due, intake announces something, or `pollInterval` passes (changes made by `opine` in
/// another process are seen within it). Runs on one thread that owns libcurl's handles.
public final class DeliveryWorker: Sendable {
    let store: CaseStore
    let logger: Logger
    let pollInterval: Double
    let heartbeat: Heartbeat?
    private let control = Locked(Control())
    /// Endpoints, limits and secrets in force; a configuration reload swaps them between passes.
    private let current: Locked<(settings: WebhookSettings, signers: [String: WebhookSigner])>
    var settings: WebhookSettings { current.withLock { $0.settings } }
    var signers: [String: WebhookSigner] { current.withLock { $0.signers } }

    private struct Control {
        var stopping = false
        /// Set by `wake()`: something changed that only a scan of the database shows.
        var woken = false
        var waker: CurlMulti.Waker?
    }

    /// Due deliveries fetched per endpoint and scan: enough that scans cost little per delivery under a backlog.
    static let scanBatch = 256

    /// Makes a worker; `pollInterval` bounds how long changes made by another process wait to be seen.
    public init(
        store: CaseStore, settings: WebhookSettings, signers: [String: WebhookSigner], logger: Logger,
        pollInterval: Double = 0.5, heartbeat: Heartbeat? = nil
    ) {
        self.store = store
        current = Locked((settings, signers))
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
        control.withLock { control in
            control.woken = true
            return control.waker
        }?.wake()
    }

    /// Stop starting attempts; `run` returns once those in flight end (each within its endpoint's timeout).
    public func stop() {
        let waker = control.withLock { control in
            control.stopping = true
            return control.waker
        }
        waker?.wake()
    }

    /// Runs on the calling thread until `stop()`, then returns once the attempts in flight have ended.
    public func run() throws {
        let initial = settings
        let curl = try CurlMulti(maxConnectionsPerHost: initial.maxInFlightPerEndpoint, maxConnections: initial.maxInFlight)
        control.withLock { $0.waker = curl.waker }
        defer { control.withLock { $0.waker = nil } }
        var schedule = DeliverySchedule(
            maxInFlight: initial.maxInFlight, maxInFlightPerEndpoint: initial.maxInFlightPerEndpoint, pollInterval: pollInterval)
        var stopLogged = false
        while true {
            heartbeat?.beat()
            let (stopping, woken) = control.withLock { control in
                defer { control.woken = false }
                return (control.stopping, control.woken)
            }
            var wait = pollInterval
            if stopping {
                if schedule.inFlight.isEmpty { break }
                if !stopLogged {
                    logger.notice("stopping: waiting for webhook attempts in flight", metadata: ["in_flight": "\(schedule.inFlight.count)"])
                    stopLogged = true
                }
            } else {
                if woken { schedule.requestScan() }
                wait = act(on: &schedule, curl: curl)
            }
            curl.wait(seconds: wait)
            record(curl.collect(), schedule: &schedule)
        }
    }

    /// Does what the schedule asks (scan, start) until it asks to sleep; returns how long. It scans at most once a
    /// call and then starts what the scan found: a scan slower than the poll interval must not keep the worker from
    /// sending, beating its heartbeat or collecting finished transfers.
    private func act(on schedule: inout DeliverySchedule, curl: CurlMulti) -> Double {
        let settings = self.settings
        schedule.configure(settings)
        var scanned = false
        while true {
            let now = Date()
            switch schedule.next(now: now, mayScan: !scanned) {
            case .scan(let busy):
                scanned = true
                do {
                    try store.fanOut(to: settings.endpoints, now: now)
                    let scan = try store.scanQueue(
                        endpoints: settings.endpoints, now: now.timeIntervalSince1970, busy: busy, limit: Self.scanBatch,
                        perEndpoint: settings.maxInFlightPerEndpoint)
                    // Timed from the scan's end, so the next poll falls a whole interval after it, however long it took.
                    schedule.scanned(scan, now: Date())
                } catch {
                    logger.error("webhook queue unavailable; trying again shortly", metadata: ["error": "\(error)"])
                    return 1
                }
            case .start(let deliveries):
                start(deliveries, curl: curl, settings: settings, schedule: &schedule)
            case .sleep(let seconds):
                return seconds
            }
        }
    }

    /// Hands each delivery to curl; one that cannot even be built counts as a failed attempt, so it cannot spin.
    private func start(_ deliveries: [DueDelivery], curl: CurlMulti, settings: WebhookSettings, schedule: inout DeliverySchedule) {
        for due in deliveries {
            do {
                guard let endpoint = settings.endpoint(named: due.delivery.endpoint) else { throw ConfigurationError("endpoint removed") }
                try curl.add(try request(for: due, to: endpoint))
            } catch {
                record([WebhookResponse(tag: due.delivery.id!, outcome: .connectionFailed, error: "not sent: \(error)", body: Data(), duration: 0)],
                       schedule: &schedule)
            }
        }
    }

    func request(for due: DueDelivery, to endpoint: Endpoint) throws -> WebhookRequest {
        let event = due.event
        let body = try WebhookMessage.body(type: event.type, timestamp: event.createdAt, storedData: event.data, contact: due.contact, message: event.message)
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

    /// Records finished attempts in one transaction and logs what each led to. Attempts that could not be recorded
    /// stay due and cool off before they are repeated: at least once, never lost.
    private func record(_ responses: [WebhookResponse], schedule: inout DeliverySchedule) {
        guard !responses.isEmpty else { return }
        let now = Date()
        let finished = responses.compactMap { response -> (AttemptReport, WebhookResponse, OutboxRecord)? in
            guard let flight = schedule.inFlightAttempt(response.tag) else { return nil }
            let report = AttemptReport(
                deliveryID: response.tag, endpoint: flight.endpoint, startedAt: flight.startedAt, duration: response.duration,
                outcome: response.outcome, error: response.error, responseExcerpt: Self.excerpt(response.body))
            return (report, response, flight.event)
        }
        let reports = finished.map(\.0)
        let settings = self.settings
        let consequences: [Int64: RecordedAttempt]
        do {
            consequences = try store.recordAttempts(reports, settings: settings, now: now, random: { Double.random(in: 0..<1) })
        } catch {
            logger.error("could not record webhook attempts; they will be repeated", metadata: [
                "deliveries": "\(reports.map { String($0.deliveryID) }.joined(separator: ","))", "error": "\(error)",
            ])
            for report in reports { schedule.finished(report.deliveryID, health: nil, now: now) }
            return
        }
        for (report, response, event) in finished {
            schedule.finished(report.deliveryID, health: consequences[report.deliveryID]?.consequence.health, now: now)
            guard let consequence = consequences[report.deliveryID] else {
                logger.warning("a webhook delivery vanished while in flight", metadata: ["delivery": "\(report.deliveryID)"])
                continue
            }
            log(consequence, of: report, event: event, response: response, settings: settings)
        }
    }

    private func log(_ recorded: RecordedAttempt, of report: AttemptReport, event: OutboxRecord, response: WebhookResponse, settings: WebhookSettings) {
        var metadata: Logger.Metadata = [
            "delivery": "\(report.deliveryID)", "endpoint": "\(report.endpoint)", "event": "\(event.type.rawValue)",
            "ms": "\(Int(response.duration * 1000))",
        ]
        if let caseID = event.caseID { metadata["case"] = "\(caseID)" }
        if let status = report.status { metadata["status"] = "\(status)" }
        if let error = response.error { metadata["error"] = "\(error)" }
        let consequence = recorded.consequence
        switch consequence.decision {
        case .delivered:
            logger.info("webhook delivered", metadata: metadata)
        case .retry(let after):
            metadata["attempt"] = "\(consequence.progress.attempts)"
            metadata["retry_in_s"] = "\(Int(after.rounded(.up)))"
            logger.notice("webhook attempt failed; will retry", metadata: metadata)
        case .dead:
            metadata["attempts"] = "\(consequence.progress.attempts)"
            metadata["held_behind"] = "\(recorded.heldBehind)"
            logger.error("webhook delivery dead; replay with `opine redeliver`", metadata: metadata)
        case .disableEndpoint:
            logger.error("endpoint answered 410 Gone and is disabled; re-enable with `opine endpoints enable`", metadata: metadata)
        }
        if consequence.endpointPaused {
            logger.warning("endpoint paused after failing too long; probing it every \(Int(settings.probeInterval)) s", metadata: [
                "endpoint": "\(report.endpoint)",
            ])
        }
    }

    /// The first bytes a receiver answered, printable, for the attempt history.
    static func excerpt(_ body: Data) -> String? {
        guard !body.isEmpty else { return nil }
        return String(decoding: body.prefix(256), as: UTF8.self).escapedForDisplay
    }
}
