import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `--state pending|failed|delivered|dead`.
extension DeliveryRecord.State: ExpressibleByArgument {}

/// `opine deliveries`: webhook deliveries and their attempts.
struct Deliveries: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show webhook deliveries and every attempt: when, status or error, duration, first bytes of the answer.",
        discussion: """
            States: pending (waiting for its first attempt), failed (will be retried), delivered, dead (out of \
            attempts, or held behind a dead delivery of the same case; replay with `opine redeliver`). A pending or \
            failed delivery to a disabled or paused endpoint shows "held" instead of its next attempt: it goes once \
            the endpoint is enabled, or a probe succeeds. Newest first; with --case, in the order the case's events \
            are sent. Reads only; root may run it.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var page: PageOptions

    @Option(name: .customLong("case"), help: ArgumentHelp("Only this case's deliveries.", valueName: "case-id"))
    var caseID: String?

    @Option(help: "Only deliveries in this state: pending, failed, delivered or dead.")
    var state: DeliveryRecord.State?

    @Option(help: ArgumentHelp("Only deliveries to this endpoint.", valueName: "name"))
    var endpoint: String?

    func run() throws {
        try Context.run(options, access: .readOnly) { context in
            var filter = DeliveryFilter()
            filter.caseID = caseID?.uppercased()
            filter.state = state
            filter.endpoint = endpoint
            filter.limit = page.limit + 1
            filter.offset = page.offset
            var listings = try context.store.deliveries(filter)
            let next = page.next(&listings)
            let health = try context.store.endpointHealth()
            func hold(_ delivery: DeliveryRecord) -> DeliveryHold? { DeliveryHold.of(state: delivery.state, endpoint: health[delivery.endpoint]) }
            if options.json {
                try Output.json(DeliveriesOutput(
                    deliveries: listings.map { DeliveriesOutput.Delivery($0, held: hold($0.delivery)) }, nextOffset: next))
                return
            }
            guard !listings.isEmpty else {
                Output.line("No deliveries match.")
                return
            }
            for listing in listings {
                let delivery = listing.delivery
                let when = delivery.finishedAt.map(Output.minute)
                    ?? hold(delivery).map(Self.describe)
                    ?? delivery.nextAttemptAt.map { "next " + Output.minute(Timestamps.format(Date(timeIntervalSince1970: $0))) } ?? ""
                Output.line("\(delivery.id!)  \(listing.event.type.rawValue)  \(listing.event.caseID ?? delivery.orderingKey)  → \(delivery.endpoint)  \(delivery.state.rawValue)  \(when)".escapedForDisplay)
                for attempt in listing.attempts {
                    let result = attempt.status.map { "HTTP \($0)" } ?? "no answer"
                    let detail = [attempt.error, attempt.responseExcerpt.map { "\"\($0.prefix(60))\"" }].compactMap { $0 }.joined(separator: " ")
                    Output.line("    \(Output.minute(attempt.startedAt))  \(result)  \(attempt.durationMs) ms  \(detail)".escapedForDisplay)
                }
            }
            if let next { Output.line("More: repeat with --offset \(next)") }
        }
    }

    /// What the text shows in place of a next attempt time for a held delivery.
    static func describe(_ hold: DeliveryHold) -> String {
        switch hold {
        case .endpointDisabled: "held: endpoint disabled (opine endpoints enable)"
        case .endpointPaused: "held: endpoint paused (waits for a probe to succeed)"
        }
    }
}

/// `opine redeliver`: queue deliveries again with a fresh round of retries.
struct Redeliver: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send deliveries again now, with a fresh round of retries.",
        discussion: """
            Give one delivery id (any state: a delivered one is sent again), or --case to replay that case's failed \
            and dead deliveries (optionally to one --endpoint), or --endpoint with --dead to replay every dead \
            delivery to it. Replays reuse the event's webhook-id, so receivers can de-duplicate. The running \
            opined picks them up within a second.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "A delivery id from `opine deliveries`.") var delivery: Int64?

    @Option(name: .customLong("case"), help: ArgumentHelp("Replay this case's failed and dead deliveries.", valueName: "case-id"))
    var caseID: String?

    @Option(help: ArgumentHelp("Limit --case to this endpoint, or with --dead replay its dead deliveries.", valueName: "name"))
    var endpoint: String?

    @Flag(help: "With --endpoint: replay every dead delivery to it.")
    var dead = false

    func validate() throws {
        let forms = [delivery != nil, caseID != nil, dead].filter { $0 }.count
        guard forms == 1 else {
            throw ValidationError("give exactly one of: a delivery id, --case CASE, or --endpoint NAME --dead")
        }
        if dead, endpoint == nil { throw ValidationError("--dead needs --endpoint NAME") }
        if delivery != nil, endpoint != nil { throw ValidationError("--endpoint goes with --case or --dead, not with a delivery id") }
    }

    func run() throws {
        try Context.run(options) { context in
            if let endpoint, context.configuration.webhooks.endpoint(named: endpoint) == nil {
                throw StoreError.notFound("no endpoint \(endpoint.escapedForDisplay) in \(context.configuration.source); `opine endpoints` lists them")
            }
            let replay: CaseStore.Replay =
                if let delivery { .delivery(delivery) }
                else if let caseID { .failedOrDead(caseID: caseID.uppercased(), endpoint: endpoint) }
                else { .dead(endpoint: endpoint!) }
            let ids = try context.store.redeliver(replay, now: Date())
            let waiting = try context.store.endpointHealth().values
                .filter { ($0.status == .disabled || $0.status == .paused) && context.configuration.webhooks.endpoint(named: $0.name) != nil }
                .map(\.name).sorted()
            if options.json {
                try Output.json(RedeliverOutput(redelivered: ids, endpointsNotSending: waiting))
                return
            }
            Output.line(ids.isEmpty ? "Nothing to redeliver." : "Queued \(ids.count) deliver\(ids.count == 1 ? "y" : "ies") again: \(ids.map(String.init).joined(separator: ", "))")
            for name in waiting {
                Output.line("Note: endpoint \(name) is disabled or paused; `opine endpoints enable \(name)` lets its deliveries go.")
            }
        }
    }
}
