/// What other systems are told. Each is written to the outbox in the same transaction as the change it announces.
public enum NotificationType: String, Codable, Sendable, CaseIterable {
    case caseReceived = "case.received"
    case caseEmergency = "case.emergency"
    case caseTriaged = "case.triaged"
    case caseReviewed = "case.reviewed"
    case caseResponded = "case.responded"
    case caseWithdrawn = "case.withdrawn"
    case bundleRejected = "bundle.rejected"
}
