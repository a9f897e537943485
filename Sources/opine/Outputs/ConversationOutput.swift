import Foundation
import OpineCore
import OpineStore

/// `opine show --json`'s `conversation` object: what the case holds of its conversation with the patient beyond the
/// first submission (docs/cli.md shows it).
struct ConversationOutput: Encodable {
    /// While waiting for the patient: since when, the state a supplement returns it to, and the message sent; null
    /// otherwise.
    @OrNull var awaiting: Awaiting?
    /// When a follow-up question arrived that no addendum has answered yet; null when none waits.
    @OrNull var followUpSince: String?
    /// Every information request, oldest first.
    var informationRequests: [Request]
    /// Every addendum, oldest first.
    var addenda: [AddendumOutput]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case awaiting, addenda
        case followUpSince = "follow_up_since", informationRequests = "information_requests"
    }

    /// The current wait.
    struct Awaiting: Encodable {
        /// When the wait began (RFC 3339, UTC).
        var since: String
        /// The state the next supplement returns the case to.
        var returnsTo: CaseState?
        /// The latest message sent to the patient.
        var message: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey { case since, message, returnsTo = "returns_to" }
    }

    /// One information request.
    struct Request: Encodable {
        /// When it was asked (RFC 3339, UTC).
        var at: String
        /// Who asked.
        var actor: String
        /// The state the case was in.
        var fromState: CaseState
        /// The words for the patient.
        var message: String
        /// When the patient's answer arrived; null while unanswered.
        @OrNull var answeredAt: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey { case at, actor, message, fromState = "from_state", answeredAt = "answered_at" }
    }

    /// One addendum.
    struct AddendumOutput: Encodable {
        /// When (RFC 3339, UTC).
        var at: String
        /// Who made it.
        var actor: String
        /// The admin who entered it for `actor`; null when they entered it themselves.
        @OrNull var enteredBy: String?
        /// `findings` or `letter`.
        var kind: Addendum.Kind
        /// Why it was made.
        var reason: String
        /// The amended findings; null for a letter addendum.
        @OrNull var findings: String?
        /// The letter's position among the case's letters (`opine letter CASE --index N`); null for findings.
        @OrNull var letterIndex: Int?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case at, actor, kind, reason, findings
            case enteredBy = "entered_by", letterIndex = "letter_index"
        }
    }

    /// Builds it from the case and its records; `letterIDs` are the case's letter ids in order.
    init(_ record: CaseRecord, requests: [InformationRequestRecord], addenda: [AddendumRecord], letterIDs: [Int64?]) {
        if record.state == .awaitingInformation {
            awaiting = Awaiting(
                since: record.awaitingSince ?? record.updatedAt, returnsTo: record.awaitingReturnState,
                message: requests.last(where: { $0.answeredAt == nil })?.message)
        }
        followUpSince = record.followUpSince
        informationRequests = requests.map {
            Request(at: $0.at, actor: $0.actor, fromState: $0.fromState, message: $0.message, answeredAt: $0.answeredAt)
        }
        self.addenda = addenda.map { addendum in
            AddendumOutput(
                at: addendum.at, actor: addendum.actor, enteredBy: addendum.enteredBy, kind: addendum.kind, reason: addendum.reason,
                findings: addendum.findings,
                letterIndex: addendum.letterID.flatMap { id in letterIDs.firstIndex(of: id).map { $0 + 1 } })
        }
    }

    /// The text `opine show` prints for it: the wait, the follow-up, the requests and the addenda.
    func printText() {
        if let awaiting {
            Output.line()
            Output.line("Waiting for the patient since \(Output.minute(awaiting.since)) (returns to \(awaiting.returnsTo?.rawValue ?? "-") when they send it):")
            Self.indented(awaiting.message ?? "-")
        }
        if let followUpSince {
            Output.line()
            Output.line("Follow-up question since \(Output.minute(followUpSince)), awaiting an addendum (opine amend).")
        }
        if !informationRequests.isEmpty {
            Output.line()
            Output.line("Information requests:")
            Output.table(["  AT", "BY", "FROM", "ANSWERED"], informationRequests.map {
                ["  " + Output.minute($0.at), $0.actor, $0.fromState.rawValue, $0.answeredAt.map(Output.minute) ?? "not yet"]
            })
        }
        for (index, addendum) in addenda.enumerated() {
            Output.line()
            let by = addendum.enteredBy.map { "\(addendum.actor), entered by \($0)" } ?? addendum.actor
            Output.line("Addendum \(index + 1) (\(addendum.kind.rawValue)), \(Output.minute(addendum.at)) by \(by):")
            Self.indented("Reason: " + addendum.reason)
            if let findings = addendum.findings { Self.indented(findings) }
            if let letter = addendum.letterIndex { Self.indented("Letter: opine letter CASE --index \(letter)") }
        }
    }

    private static func indented(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { Output.line("  " + String(line).escapedForDisplay) }
    }
}
