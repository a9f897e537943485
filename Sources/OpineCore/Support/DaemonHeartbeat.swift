/// What `opined.heartbeat` holds: opined rewrites it every few seconds and `opine status` reads it.
public struct DaemonHeartbeat: Codable, Sendable {
    /// opined's process id.
    public var pid: Int32
    /// The running opined's version (`Opine.version`).
    public var version: String
    /// When this opined started (RFC 3339).
    public var startedAt: String
    /// When the file was written; a stale time means opined is down or wedged.
    public var at: String
    /// Every working loop beat within the watchdog ping interval (60 s when systemd asks for no pings).
    public var healthy: Bool
    /// Seconds since each working loop last beat.
    public var loops: [String: Double]
    /// Present while uploads cannot be taken (they wait in the drop directory and are retried).
    public var intakeBlocked: IntakeBlocked?
    /// The audit chain's head when the file was written (`SEQ:HASH`), for whoever keeps heads outside the database;
    /// absent when the store could not be read.
    public var auditHead: AuditHead?
    /// Set by a clean stop (RFC 3339): opined wrote this last beat on its way out, so `opine status` says "stopped"
    /// at once instead of waiting for the heartbeat to age.
    public var stoppedAt: String?

    /// Records one heartbeat.
    public init(
        pid: Int32, version: String, startedAt: String, at: String, healthy: Bool, loops: [String: Double], intakeBlocked: IntakeBlocked?,
        auditHead: AuditHead? = nil
    ) {
        self.pid = pid
        self.version = version
        self.startedAt = startedAt
        self.at = at
        self.healthy = healthy
        self.loops = loops
        self.intakeBlocked = intakeBlocked
        self.auditHead = auditHead
    }

    /// The same beat, marked as opined's last one before a clean stop.
    public func stopped(at: String) -> DaemonHeartbeat {
        var last = self
        last.at = at
        last.healthy = false
        last.intakeBlocked = nil
        last.stoppedAt = at
        return last
    }

    /// Why uploads are waiting in the drop directory.
    public struct IntakeBlocked: Codable, Sendable {
        /// What went wrong, without patient data.
        public var message: String
        /// The disk is full, which `opine status` and systemd's `STATUS=` name as such.
        public var diskFull: Bool
        /// When intake became blocked (RFC 3339).
        public var since: String

        /// Records why intake is blocked.
        public init(message: String, diskFull: Bool, since: String) {
            self.message = message
            self.diskFull = diskFull
            self.since = since
        }

        /// JSON keys.
        public enum CodingKeys: String, CodingKey {
            /// JSON key for `message` and `since`.
            case message, since
            /// JSON key for `diskFull`.
            case diskFull = "disk_full"
        }
    }

    /// JSON keys.
    public enum CodingKeys: String, CodingKey {
        /// JSON keys named as the properties.
        case pid, version, at, healthy, loops
        /// JSON key for `startedAt`.
        case startedAt = "started_at"
        /// JSON key for `intakeBlocked`.
        case intakeBlocked = "intake_blocked"
        /// JSON key for `auditHead`.
        case auditHead = "audit_head"
        /// JSON key for `stoppedAt`.
        case stoppedAt = "stopped_at"
    }
}
