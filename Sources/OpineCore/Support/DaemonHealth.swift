import Foundation

/// What `opine status` concludes about opined, decided from what it read (the heartbeat file, free space, the
/// endpoints' health and the dead deliveries) without touching any of it, so each verdict is a value a test checks.
public struct DaemonHealth: Sendable, Equatable {
    /// The overall verdict, which picks the exit status.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Running, every loop beating, nothing held: exit 0.
        case healthy
        /// Running and working, but something waits for a person (a disabled or paused endpoint, dead deliveries):
        /// exit 75.
        case warning
        /// Running badly: a stale heartbeat, a stalled loop, intake blocked or a file system nearly full: exit 69.
        case unhealthy
        /// Not running: stopped cleanly, or never started (no heartbeat): exit 69.
        case stopped
    }

    /// Why a running opined needs attention although it works.
    public enum WarningCode: String, Codable, Sendable, CaseIterable {
        /// An endpoint answered 410 Gone; its deliveries are held until `opine endpoints enable`.
        case endpointDisabled = "endpoint_disabled"
        /// An endpoint failed longer than `pause_after`; it gets one probe per `probe_interval`.
        case endpointPaused = "endpoint_paused"
        /// Deliveries ran out of attempts (or wait behind one that did); `opine redeliver` replays them.
        case deadDeliveries = "dead_deliveries"
    }

    /// One warning: its code and the words that name the fix.
    public struct Warning: Sendable, Equatable {
        /// What kind of warning.
        public var code: WarningCode
        /// The warning in words, with the command that fixes it.
        public var message: String
    }

    /// A file system opined writes to, with the bytes free on it.
    public struct FileSystem: Sendable {
        /// The file system's role; its raw value is how `opine status --json` and the metrics name it.
        public var name: FileSystemRole
        /// The directory on it.
        public var path: String
        /// Bytes free for an unprivileged writer.
        public var freeBytes: Int64

        /// Records one file system's free space.
        public init(name: FileSystemRole, path: String, freeBytes: Int64) {
            self.name = name
            self.path = path
            self.freeBytes = freeBytes
        }
    }

    /// The verdict.
    public var state: State
    /// What is wrong, in words (empty unless unhealthy or stopped).
    public var problems: [String]
    /// What needs attention (reported whatever the state).
    public var warnings: [Warning]

    /// A heartbeat older than this means opined is stopped or hung (it rewrites the file every 2 s).
    public static let staleAfter: Double = 10

    /// Judges opined from its heartbeat (and that file's `age` in seconds), the free space where it writes, the
    /// configured endpoints' health and the number of dead deliveries.
    public init(
        heartbeat: DaemonHeartbeat?, age: Double?, heartbeatPath: String, fileSystems: [FileSystem],
        endpoints: [EndpointHealth], deadDeliveries: Int
    ) {
        warnings = Self.warnings(endpoints: endpoints, deadDeliveries: deadDeliveries)
        if heartbeat == nil || heartbeat?.stoppedAt != nil {
            state = .stopped
            problems = [heartbeat?.stoppedAt.map { "opined is stopped (it stopped cleanly at \($0))" }
                ?? "opined is not running (no heartbeat at \(heartbeatPath))"]
            return
        }
        problems = Self.daemonProblems(heartbeat, age: age)
        for fileSystem in fileSystems where fileSystem.freeBytes < DiskSpace.lowBytes {
            problems.append("the file system holding \(fileSystem.path) has only \(fileSystem.freeBytes >> 20) MiB free: uploads will wait in the drop directory until space is freed")
        }
        state = !problems.isEmpty ? .unhealthy : warnings.isEmpty ? .healthy : .warning
    }

    /// What is wrong with a running opined, judged from its heartbeat and that file's age in seconds.
    static func daemonProblems(_ heartbeat: DaemonHeartbeat?, age: Double?) -> [String] {
        var problems: [String] = []
        if let age, age > staleAfter {
            problems.append("opined's heartbeat is \(Int(age)) s old: it is stopped or hung")
        } else if heartbeat?.healthy == false {
            let stalled = heartbeat?.loops.filter { $0.value > staleAfter }.keys.sorted().joined(separator: ", ") ?? ""
            problems.append("a working loop has stalled (\(stalled)); systemd's watchdog will restart opined")
        }
        if let blocked = heartbeat?.intakeBlocked, let age, age <= staleAfter {
            let cause = blocked.diskFull ? "the disk is full" : "an I/O error"
            problems.append("intake is blocked since \(blocked.since) by \(cause) (\(blocked.message)); uploads wait in the drop directory and are retried, and intake resumes by itself once the cause is fixed")
        }
        return problems
    }

    static func warnings(endpoints: [EndpointHealth], deadDeliveries: Int) -> [Warning] {
        var warnings: [Warning] = []
        for endpoint in endpoints.sorted(by: { $0.name < $1.name }) {
            switch endpoint.status {
            case .disabled:
                warnings.append(Warning(code: .endpointDisabled, message: "endpoint \(endpoint.name.escapedForDisplay) is disabled (\(endpoint.disabledReason ?? "by an operator")): its deliveries are held; `opine endpoints enable \(endpoint.name.escapedForDisplay)` lets them go"))
            case .paused:
                warnings.append(Warning(code: .endpointPaused, message: "endpoint \(endpoint.name.escapedForDisplay) is paused after failing longer than pause_after (last failure \(endpoint.lastFailureAt ?? "unknown")): it gets one probe per probe_interval; `opine endpoints` shows its errors"))
            case .active, .failing:
                break
            }
        }
        if deadDeliveries > 0 {
            warnings.append(Warning(code: .deadDeliveries, message: "\(deadDeliveries) webhook deliver\(deadDeliveries == 1 ? "y is" : "ies are") dead: `opine deliveries --state dead` lists them, `opine redeliver` replays them"))
        }
        return warnings
    }
}
