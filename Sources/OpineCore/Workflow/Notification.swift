/// What other systems are told. Each is written to the outbox in the same transaction as the change it announces.
public enum NotificationType: String, Codable, Sendable, CaseIterable {
    /// A bundle became a case.
    case caseReceived = "case.received"
    /// A case became an emergency (at intake, or escalated at triage), or an untriaged emergency is still waiting
    /// past its due time; sent before the case's other notices and before anything routine.
    case caseEmergency = "case.emergency"
    /// A re-send or a supplement brought new information or files to the case (`data.changed` names the fields,
    /// `files` for added files); sent after `case.emergency` when the new symptoms made it an emergency. A case that
    /// was waiting for the patient is back in the state it came from (`data.state`).
    case caseUpdated = "case.updated"
    /// A coordinator asked the patient for something (`opine request-info`); the message itself goes only to
    /// endpoints with `include_contact`, as `data.message`.
    case caseInformationRequested = "case.information_requested"
    /// The case is still waiting for the patient `turnaround.information_reminder_after` after its wait began (once
    /// per wait); `data.message` as for `case.information_requested`.
    case caseInformationReminder = "case.information_reminder"
    /// An addendum was added to the findings or the letter of a reviewed or responded case (`data.amended`).
    case caseAmended = "case.amended"
    /// A coordinator triaged or re-triaged the case.
    case caseTriaged = "case.triaged"
    /// The surgeon recorded the review.
    case caseReviewed = "case.reviewed"
    /// The response letter was recorded.
    case caseResponded = "case.responded"
    /// The case was closed without a response.
    case caseWithdrawn = "case.withdrawn"
    /// The case passed its due time in its state (once per state; `data.overdue_state`, `data.due_at`).
    case caseOverdue = "case.overdue"
    /// An upload was quarantined.
    case bundleRejected = "bundle.rejected"
}
