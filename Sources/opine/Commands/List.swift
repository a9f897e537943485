import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// `opine list`: the queue, one page at a time.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the queue: emergencies first, then oldest.",
        discussion: """
            Without --state, shows the open cases (received, triaged, awaiting_information, reviewed). DUE says when \
            each open case is due to leave its state ([turnaround] in the configuration); a case waiting for the \
            patient has no due time, its clock paused. --overdue lists only open cases past it, most overdue \
            first. --stale 7 lists the cases waiting for the patient for a week or more; --follow-up the responded \
            cases with a follow-up question awaiting an addendum. Pages hold --limit cases; the last line says \
            which --offset shows the next page. WAITING is how long an open case has waited since it arrived; for \
            a responded or withdrawn case it is how long the case took ("took 3d 4h"). Times are in the local time \
            zone ($TZ); --json gives UTC. Shows no patient name, birth date or contact, so root may run it (a \
            monitoring check; the database is then opened read-only).

            Examples: opine list --unassigned; opine list --assignee dr-patel --all; opine list --submission-id web-4410; \
            opine list --stale 7
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Only cases in this state (repeatable): received, triaged, awaiting_information, reviewed, responded, withdrawn.", valueName: "state"))
    var state: [CaseState] = []

    @Flag(name: .long, help: "Include closed cases (responded, withdrawn).")
    var all = false

    @Option(name: .long, help: ArgumentHelp("Only cases of this priority: emergency, urgent, routine.", valueName: "priority"))
    var priority: Priority?

    @Option(name: .long, help: ArgumentHelp("Only cases assigned to this reviewer.", valueName: "reviewer"))
    var assignee: String?

    @Flag(name: .long, help: "Only cases nobody is assigned to.")
    var unassigned = false

    @Option(name: .customLong("submission-id"), help: ArgumentHelp("Only cases of this submission id (exact).", valueName: "id"))
    var submissionID: String?

    @Flag(name: .long, help: "Only open cases past their due time, most overdue first.")
    var overdue = false

    @Option(name: .long, help: ArgumentHelp("Only cases waiting for the patient for at least this many days (0 and up).", valueName: "days"))
    var stale: Double?

    @Flag(name: .customLong("follow-up"), help: "Only responded cases with a follow-up question awaiting an addendum.")
    var followUp = false

    @Flag(name: .long, help: "Only cases the image checks flagged (another patient, several patients, a region not covered).")
    var flagged = false

    @OptionGroup var page: PageOptions

    func validate() throws {
        if all, !state.isEmpty { throw ValidationError("give --all or --state, not both") }
        if unassigned, assignee != nil { throw ValidationError("give --assignee or --unassigned, not both") }
        if overdue, all || state.contains(where: \.isFinal) {
            throw ValidationError("--overdue lists open cases only; drop --all, or give --state received, triaged or reviewed")
        }
        if overdue, unassigned || submissionID != nil || flagged {
            throw ValidationError("--overdue does not combine with --unassigned, --submission-id or --flagged; use --assignee, --priority or --state")
        }
        if let stale {
            guard stale >= 0, stale.isFinite else { throw ValidationError("--stale must be a number of days, 0 or more") }
            guard state.allSatisfy({ $0 == .awaitingInformation }), !all, !overdue, !followUp else {
                throw ValidationError("--stale lists cases waiting for the patient; use it alone or with --state awaiting_information")
            }
        }
        if followUp, overdue || state.contains(where: { $0 != .responded }) {
            throw ValidationError("--follow-up lists responded cases; use it alone or with --state responded")
        }
    }

    func run() throws {
        try Context.run(options, access: .readOnly) { context in
            if let assignee { try context.requireReviewer(assignee) }
            var filter = CaseFilter()
            filter.states = all ? CaseState.allCases : state
            let now = Date()
            if let stale {
                filter.states = [.awaitingInformation]
                filter.waitingSince = now.addingTimeInterval(-stale * 86400)
            }
            if followUp {
                filter.states = [.responded]
                filter.followUpPending = true
            }
            filter.flagged = flagged
            filter.priority = priority
            filter.assignee = assignee
            filter.unassigned = unassigned
            filter.submissionID = submissionID
            filter.limit = page.limit + 1
            filter.offset = page.offset
            let turnaround = context.configuration.turnaround
            var cases = overdue
                ? try context.store.overdue(filter, policy: turnaround, now: now) : try context.store.list(filter)
            let more = cases.count > page.limit
            if more { cases.removeLast() }
            let next = more ? page.offset + page.limit : nil
            if options.json {
                try Output.json(CaseListOutput(
                    cases: cases.map { CaseSummaryOutput($0, turnaround: turnaround, now: now) }, nextOffset: next))
                return
            }
            guard !cases.isEmpty else {
                Output.line(page.offset > 0 ? "No more cases." : overdue ? "No case is overdue." : "No cases match.")
                return
            }
            Output.table(
                ["CASE", "PRIORITY", "STATE", "ASSIGNEE", "REGIONS", "RECEIVED", "WAITING", "DUE", "FLAGS"],
                cases.map {
                    [$0.id, $0.priority.rawValue, $0.state.rawValue, $0.assignee ?? "-", $0.regions.joined(separator: " "),
                     Output.minute($0.receivedAt), Output.waiting($0, now: now),
                     Output.due($0.dueAt(turnaround), now: now), $0.flags.map { $0.map(\.rawValue).joined(separator: ",") } ?? "-"]
                })
            if let next { Output.line("More cases: repeat with --offset \(next)") }
        }
    }
}

/// `--state received|triaged|reviewed|responded|withdrawn`.
extension CaseState: ExpressibleByArgument {}
/// `--priority emergency|urgent|routine`.
extension Priority: ExpressibleByArgument {}
