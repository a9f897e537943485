import OpineCore
import OpineStore

/// `opine status --json`: whether opined is alive and well, from its heartbeat file, and the backlogs.
struct StatusOutput: Encodable {
    /// `healthy` (exit 0), `warning` (75), `unhealthy` (69) or `stopped` (69).
    var state: DaemonHealth.State
    /// True when opined runs without problems (state `healthy` or `warning`).
    var healthy: Bool
    /// Each problem found, in words.
    var problems: [String]
    /// What needs a person although opined works: a disabled or paused endpoint, dead deliveries.
    var warnings: [Warning]
    /// opined's version; null when there is no heartbeat.
    @OrNull var version: String?
    /// opined's process id; null when there is no heartbeat.
    @OrNull var pid: Int?
    /// When opined started (ISO 8601, UTC); null when there is no heartbeat.
    @OrNull var startedAt: String?
    /// When opined stopped cleanly (ISO 8601, UTC); null while it runs or when it never wrote a heartbeat.
    @OrNull var stoppedAt: String?
    /// Seconds since opined last wrote its heartbeat; null when there is none.
    @OrNull var heartbeatAgeSeconds: Double?
    /// Seconds since each working loop last beat; empty when there is no heartbeat.
    var loops: [String: Double]
    /// Uploads waiting in the drop directory; null when it cannot be read.
    @OrNull var dropBacklog: Int?
    /// The uploads quiet longest (at most 20), each with why it waits; empty when none waits or the drop directory
    /// cannot be read.
    var waiting: [WaitingUpload]
    /// How many more uploads wait than `waiting` lists.
    var waitingMore: Int
    /// Webhook deliveries not yet delivered: `pending`, `failed` (retrying) and `dead`.
    var webhooks: DeliveryBacklog
    /// Free bytes on the file systems holding the spool (`spool`) and the state directory (`state`); a key is
    /// missing when its file system cannot be read.
    var freeBytes: [String: Int64]
    /// Why intake is not taking uploads; null while it is.
    @OrNull var intakeBlocked: IntakeBlocked?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case state, healthy, problems, warnings, version, pid, loops, webhooks
        case startedAt = "started_at", stoppedAt = "stopped_at", heartbeatAgeSeconds = "heartbeat_age_seconds"
        case waiting, waitingMore = "waiting_more"
        case dropBacklog = "drop_backlog", freeBytes = "free_bytes", intakeBlocked = "intake_blocked"
    }

    /// The verdict and what it was judged from.
    init(
        health: DaemonHealth, heartbeat: DaemonHeartbeat?, heartbeatAgeSeconds: Double?, dropBacklog: Int?,
        waiting: WaitingUploads?, naming: Bool, webhooks: DeliveryBacklog, freeBytes: [String: Int64]
    ) {
        state = health.state
        healthy = health.state == .healthy || health.state == .warning
        problems = health.problems
        warnings = health.warnings.map(Warning.init)
        version = heartbeat?.version
        pid = heartbeat.map { Int($0.pid) }
        startedAt = heartbeat?.startedAt
        stoppedAt = heartbeat?.stoppedAt
        self.heartbeatAgeSeconds = heartbeatAgeSeconds
        loops = heartbeat?.loops ?? [:]
        self.dropBacklog = dropBacklog
        self.waiting = waiting?.uploads.map { WaitingUpload($0, naming: naming) } ?? []
        waitingMore = waiting?.more ?? 0
        self.webhooks = webhooks
        self.freeBytes = freeBytes
        intakeBlocked = heartbeat?.stoppedAt == nil ? heartbeat?.intakeBlocked.map(IntakeBlocked.init) : nil
    }

    /// One warning: `endpoint_disabled`, `endpoint_paused` or `dead_deliveries`, and its words.
    struct Warning: Encodable {
        /// What kind of warning.
        var code: DaemonHealth.WarningCode
        /// The warning in words, with its fix.
        var message: String

        /// The warning as `DaemonHealth` found it.
        init(_ warning: DaemonHealth.Warning) {
            code = warning.code
            message = warning.message
        }
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

    /// One upload waiting in the drop directory.
    struct WaitingUpload: Encodable {
        /// Its name in the drop directory, escaped for display (may name a patient: for the practice's staff); null
        /// unless the output is a terminal or `--names` was given.
        @OrNull var upload: String?
        /// The first 12 hexadecimal digits of the SHA-256 of `upload`: how opined's log names it.
        var uploadDigest: String
        /// `directory`, `zip` or `other`.
        var kind: WaitingUploads.Kind
        /// Seconds since anything in it last changed.
        var quietSeconds: Double
        /// `changing`, `incomplete`, `opined_stopped`, `intake_blocked` or `queued`.
        var reason: WaitingUploads.Reason
        /// What is not there yet; null when complete.
        @OrNull var missing: Missing?
        /// For `incomplete`: seconds until opined refuses it as incomplete if nothing changes; otherwise null.
        @OrNull var refusedInSeconds: Double?
        /// The reason in words, with what happens next.
        var message: String

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case upload, kind, reason, missing, message
            case uploadDigest = "upload_digest", quietSeconds = "quiet_seconds", refusedInSeconds = "refused_in_seconds"
        }

        /// The upload as `WaitingUploads` decided; its name and paths only when `naming`.
        init(_ upload: WaitingUploads.Upload, naming: Bool) {
            self.upload = naming ? upload.name.escapedForDisplay : nil
            uploadDigest = upload.digest
            kind = upload.kind
            quietSeconds = upload.quietSeconds
            reason = upload.reason
            missing = upload.missing.map { Missing($0, naming: naming) }
            refusedInSeconds = upload.refusedInSeconds
            message = upload.message
        }
    }

    /// What a waiting upload still lacks, as its `incomplete` refusal would name it.
    struct Missing: Encodable {
        /// A folder without `manifest.json`.
        var manifest: Bool
        /// A zip without its end record.
        var zipEndRecord: Bool
        /// Listed files not there, and listed files smaller than listed, among the first three gaps in listing order
        /// (empty unless naming).
        var absent: [String], short: [String]
        /// How many listed files are not there or short in all.
        var filesCount: Int

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case manifest, absent, short
            case zipEndRecord = "zip_end_record", filesCount = "files_count"
        }

        /// What the look found; the uploader's paths only when `naming`.
        init(_ seen: ReadinessPolicy.Observation, naming: Bool) {
            (manifest, zipEndRecord, absent, short) = (false, false, [], [])
            for gap in seen.gaps {
                switch gap {
                case .manifest: manifest = true
                case .zipEnd: zipEndRecord = true
                case .missing(let path): absent.append(path)
                case .short(let path, _, _): short.append(path)
                }
            }
            filesCount = seen.gapCount - (manifest ? 1 : 0) - (zipEndRecord ? 1 : 0)
            if !naming { (absent, short) = ([], []) }
        }
    }
}
