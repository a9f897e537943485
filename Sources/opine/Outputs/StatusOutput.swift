import OpineCore
import OpineStore

/// `opine status --json`: whether opined is alive and well, from its heartbeat file, and the backlogs.
struct StatusOutput: Encodable {
    /// True when there are no problems (exit status 0; otherwise 69).
    var healthy: Bool
    /// Each problem found, in words.
    var problems: [String]
    /// opined's version; null when there is no heartbeat.
    @OrNull var version: String?
    /// opined's process id; null when there is no heartbeat.
    @OrNull var pid: Int?
    /// When opined started (ISO 8601, UTC); null when there is no heartbeat.
    @OrNull var startedAt: String?
    /// Seconds since opined last wrote its heartbeat; null when there is none.
    @OrNull var heartbeatAgeSeconds: Double?
    /// Seconds since each working loop last beat; empty when there is no heartbeat.
    var loops: [String: Double]
    /// Uploads waiting in the drop directory; null when it cannot be read.
    @OrNull var dropBacklog: Int?
    /// Webhook deliveries not yet delivered: `pending`, `failed` (retrying) and `dead`.
    var webhooks: DeliveryBacklog
    /// Free bytes on the file systems holding the spool (`spool`) and the state directory (`state`); a key is
    /// missing when its file system cannot be read.
    var freeBytes: [String: Int64]
    /// Why intake is not taking uploads; null while it is.
    @OrNull var intakeBlocked: IntakeBlocked?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case healthy, problems, version, pid, loops, webhooks
        case startedAt = "started_at", heartbeatAgeSeconds = "heartbeat_age_seconds", dropBacklog = "drop_backlog"
        case freeBytes = "free_bytes", intakeBlocked = "intake_blocked"
    }

    /// Why uploads wait in the drop directory (they are retried, and intake resumes by itself).
    struct IntakeBlocked: Encodable {
        /// The error, in words.
        var message: String
        /// True for a full disk, false for another I/O error.
        var diskFull: Bool
        /// When intake became blocked (ISO 8601, UTC).
        var since: String

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case message, since
            case diskFull = "disk_full"
        }

        /// What the heartbeat says.
        init(_ blocked: DaemonHeartbeat.IntakeBlocked) {
            message = blocked.message
            diskFull = blocked.diskFull
            since = blocked.since
        }
    }
}
