/// What `opined.heartbeat` holds: opined rewrites it every few seconds and `opine status` reads it.
public struct DaemonHeartbeat: Codable, Sendable {
    public var pid: Int32
    public var version: String
    public var startedAt: String
    public var at: String
    public var healthy: Bool
    /// Seconds since each working loop last beat.
    public var loops: [String: Double]
    /// Present while uploads cannot be taken (they wait in the drop directory and are retried).
    public var intakeBlocked: IntakeBlocked?

    public init(pid: Int32, version: String, startedAt: String, at: String, healthy: Bool, loops: [String: Double], intakeBlocked: IntakeBlocked?) {
        self.pid = pid
        self.version = version
        self.startedAt = startedAt
        self.at = at
        self.healthy = healthy
        self.loops = loops
        self.intakeBlocked = intakeBlocked
    }

    /// Why uploads are waiting in the drop directory.
    public struct IntakeBlocked: Codable, Sendable {
        public var message: String
        public var diskFull: Bool
        public var since: String

        public init(message: String, diskFull: Bool, since: String) {
            self.message = message
            self.diskFull = diskFull
            self.since = since
        }

        /// JSON keys.
        public enum CodingKeys: String, CodingKey {
            case message, since
            case diskFull = "disk_full"
        }
    }

    /// JSON keys.
    public enum CodingKeys: String, CodingKey {
        case pid, version, at, healthy, loops
        case startedAt = "started_at"
        case intakeBlocked = "intake_blocked"
    }
}
