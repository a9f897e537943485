import Logging
import OpineCore
import OpineStore

/// opined writes the audit chain's head to its log at start, once a day and on a clean stop, so copies of it live
/// outside the database (the journal, a remote syslog): whoever can rewrite the whole chain cannot reach those, and
/// `opine verify --head SEQ:HASH` proves the chain still extends any of them.
enum AuditHeadLog {
    /// When the head is logged.
    enum Moment: String {
        /// opined has opened the store and repaired what a crash left.
        case start
        /// Once a day while it runs.
        case daily
        /// After a clean stop, with the write-ahead log folded back.
        case stop
    }

    /// Seconds between the daily lines.
    static let interval = 86_400.0

    /// One `notice` line: `audit chain head audit_head=SEQ:HASH moment=start`.
    static func write(_ store: CaseStore, _ logger: Logger, _ moment: Moment) {
        do {
            let head = try store.auditHead()
            logger.notice("audit chain head", metadata: ["audit_head": "\(head)", "moment": "\(moment.rawValue)"])
        } catch {
            logger.error("could not read the audit chain head", metadata: ["moment": "\(moment.rawValue)", "error": "\(error)"])
        }
    }
}
