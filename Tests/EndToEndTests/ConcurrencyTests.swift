import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Concurrent opine writers on the same cases while opined ingests and delivers")
struct ConcurrencyTests {
    @Test("Eight opine processes act on the same cases while opined ingests and delivers: no lost update, only clean conflicts")
    func eightWriters() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        try sandbox.startDaemon()
        let ids = try sandbox.addCases((0..<4).map { BundleBuilder(submissionID: "web-many-\($0)") })
        // Intake keeps working while the coordinators do.
        for index in 0..<6 { try sandbox.drop(BundleBuilder(submissionID: "web-more-\(index)")) }
        let letter = sandbox.root.appendingPathComponent("letter.pdf")
        try Samples.pdf.write(to: letter)

        let results = try runConcurrently(8) { worker in
            try (0..<8).map { step in
                let id = ids[(worker + step) % ids.count]
                let arguments: [String] = switch (worker * 3 + step) % 5 {
                case 0, 1: ["triage", id, "--assign", "dr-patel"]
                case 2: ["review", id, "--findings", "findings from \(worker)", "--as", "dr-patel"]
                case 3: ["respond", id, "--letter-file", letter.path]
                default: ["withdraw", id, "--reason", "asked by \(worker)"]
                }
                return try sandbox.opine(arguments, extraEnvironment: Sandbox.admin)
            }
        }.flatMap { $0 }
        #expect(results.allSatisfy { $0.status == 0 || $0.status == 3 }, "\(results.filter { $0.status != 0 && $0.status != 3 }.map(\.stderr))")
        #expect(!results.contains { $0.stderr.contains("locked") }, "no 'database is locked' reaches a user")
        let succeeded = results.filter { $0.status == 0 }.count
        #expect(succeeded > 0)

        // Each case's history is one unbroken path through allowed states, ending where the case is.
        var recorded = 0
        for id in ids {
            let events = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
            var state = "received"
            for event in events.dropFirst() where event["to"] is String {
                #expect(event["from"] as? String == state, "\(id): \(event["type"] ?? "") from \(event["from"] ?? "") while \(state)")
                let from = try #require(CaseState(rawValue: state)), to = try #require(CaseState(rawValue: event["to"] as! String))
                #expect(Self.allowed(from, to), "\(id): \(from) → \(to) is not an allowed move")
                state = to.rawValue
                recorded += 1
            }
            #expect(try sandbox.opine("show", id, "--json").json()["state"] as? String == state)
        }
        #expect(recorded == succeeded, "every success is in the history once, and nothing else is")

        try waitUntil("all ten cases are in and every webhook is delivered", seconds: 60) {
            try sandbox.cases().count == 10 && sandbox.deliveries(["--state", "delivered"]).count == sandbox.deliveries().count
        }
        #expect(try sandbox.opine("verify").status == 0)
    }

    static func allowed(_ from: CaseState, _ to: CaseState) -> Bool {
        switch (from, to) {
        case (.received, .triaged), (.triaged, .triaged), (.triaged, .reviewed), (.reviewed, .responded): true
        case (_, .withdrawn): !from.isFinal
        default: false
        }
    }
}
