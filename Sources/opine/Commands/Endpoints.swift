import ArgumentParser
import Crypto
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine endpoints`: the group of endpoint commands (`list` by default).
struct Endpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show webhook endpoints and their health; re-enable one; make a new signing secret.",
        subcommands: [ListEndpoints.self, EnableEndpoint.self, NewSecret.self],
        defaultSubcommand: ListEndpoints.self)
}

/// `opine endpoints list`: each endpoint's health and backlog.
struct ListEndpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Each endpoint: active, failing, paused or disabled; last success; failures in a row; backlog.",
        discussion: """
            failing: recent attempts failed, retries continue. paused: failing longer than webhooks.pause_after, \
            so only one probe goes out per webhooks.probe_interval until one succeeds. disabled: it answered 410 \
            Gone; nothing is sent until `opine endpoints enable NAME`. Reads only; root may run it.
            """)

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try Context.run(options, access: .readOnly) { context in
            let summaries = try context.store.endpointSummaries(context.configuration.webhooks.endpoints)
            if options.json {
                try Output.json(EndpointsOutput(endpoints: summaries.map(EndpointsOutput.Endpoint.init)))
                return
            }
            guard !summaries.isEmpty else {
                Output.line("No endpoints are configured; add [endpoints.NAME] tables to \(context.configuration.source).")
                return
            }
            Output.table(["ENDPOINT", "STATUS", "LAST SUCCESS", "FAILURES IN A ROW", "PENDING", "FAILED", "DEAD", "URL"], summaries.map { summary in
                [
                    summary.endpoint.name, summary.health.status.rawValue, summary.health.lastSuccessAt.map(Output.minute) ?? "never",
                    String(summary.health.failuresInRow), String(summary.pending), String(summary.failed), String(summary.dead),
                    summary.endpoint.displayURL,
                ]
            })
        }
    }
}

/// `opine endpoints enable NAME`: let a disabled or paused endpoint receive again.
struct EnableEndpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Let a disabled (410 Gone) or paused endpoint receive deliveries again, starting now.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The endpoint's name, as in [endpoints.NAME].") var name: String

    func run() throws {
        try Context.run(options) { context in
            guard context.configuration.webhooks.endpoint(named: name) != nil else {
                throw StoreError.notFound("no endpoint \(name.escapedForDisplay) in \(context.configuration.source); `opine endpoints` lists them")
            }
            let health = try context.store.enableEndpoint(name)
            if options.json {
                try Output.json(EndpointEnabledOutput(name: name, status: health.status))
            } else {
                Output.line("Endpoint \(name) enabled; its waiting deliveries go out within a second.")
            }
        }
    }
}

/// `opine endpoints new-secret`: a new random signing secret.
struct NewSecret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-secret",
        abstract: "Print a new random signing secret (whsec_…) to put in an endpoint's secret file and give its receiver.",
        discussion: "To rotate without a gap, put the new secret on a second line of the secret file, restart opined, move the receiver to the new secret, then remove the old line.")

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    func run() throws {
        let secret = "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        if json { try Output.json(NewSecretOutput(secret: secret)) } else { Output.line(secret) }
    }
}
