import Foundation
import OpineCore

/// What the metrics say about opined itself and the disks it writes to. opined fills it from its own loops when it
/// writes the textfile; `opine stats --prometheus` fills it from the heartbeat file, so a stopped or hung opined
/// shows there as down or stale.
public struct DaemonFigures: Sendable {
    /// opined is running: its heartbeat is fresh and not marked stopped.
    public var up = false
    /// Seconds since opined last wrote its heartbeat; nil when there is none.
    public var heartbeatAgeSeconds: Double?
    /// Seconds since each working loop last beat.
    public var loopAgeSeconds: [String: Double] = [:]
    /// Intake cannot take uploads (a full disk or an I/O error); they wait in the drop directory.
    public var intakeBlocked = false
    /// Uploads waiting in the drop directory; nil when it cannot be read.
    public var dropBacklog: Int?
    /// Seconds since the oldest upload in the drop directory last changed; nil when none waits.
    public var oldestDropSeconds: Double?
    /// Free bytes on the file systems opined writes to, by role (`spool`, `state`).
    public var freeBytes: [String: Int64] = [:]

    /// Nothing known: opined is taken to be down.
    public init() {}

    /// The figures a fresh heartbeat file gives (`opine stats --prometheus`), with the drop directory and free space
    /// measured by the reader. A stale or stopped heartbeat keeps its age but says down and not blocked.
    public init(heartbeat: DaemonHeartbeat?, now: Date, configuration: OpineCore.Configuration) {
        let age = heartbeat.flatMap { Timestamps.parse($0.at) }.map { max(0, now.timeIntervalSince($0)) }
        let fresh = heartbeat?.stoppedAt == nil && (age.map { $0 <= DaemonHealth.staleAfter } ?? false)
        up = fresh
        heartbeatAgeSeconds = age
        if let heartbeat, fresh {
            loopAgeSeconds = heartbeat.loops.mapValues { $0 + (age ?? 0) }
            intakeBlocked = heartbeat.intakeBlocked != nil
        }
        measureSpool(configuration, now: now)
    }

    /// Counts the drop directory's uploads and reads the free space where opined writes.
    public mutating func measureSpool(_ configuration: OpineCore.Configuration, now: Date) {
        let backlog = DropBacklog.measure(configuration.dropDirectory, now: now)
        dropBacklog = backlog?.uploads
        oldestDropSeconds = backlog?.oldestSeconds
        for fileSystem in DiskSpace.watched(configuration) { freeBytes[fileSystem.name.rawValue] = fileSystem.freeBytes }
    }

    func families(_ text: inout PrometheusText) {
        text.single("opine_up", .gauge, "1 while opined runs with a fresh heartbeat; 0 when it is stopped, hung or never started.", up ? 1 : 0)
        text.family("opine_heartbeat_age_seconds", .gauge, "Seconds since opined last wrote its heartbeat (absent when there is none).",
                    heartbeatAgeSeconds.map { [([], $0)] } ?? [])
        text.family("opine_loop_heartbeat_age_seconds", .gauge, "Seconds since each working loop of opined last beat.",
                    loopAgeSeconds.sorted { $0.key < $1.key }.map { ([("loop", $0.key)], $0.value) })
        text.single("opine_intake_blocked", .gauge, "1 while intake cannot take uploads (a full disk or an I/O error).", intakeBlocked ? 1 : 0)
        text.family("opine_drop_backlog", .gauge, "Uploads waiting in the drop directory (absent when it cannot be read).",
                    dropBacklog.map { [([], Double($0))] } ?? [])
        text.single("opine_drop_oldest_age_seconds", .gauge, "Seconds since the oldest upload in the drop directory last changed (0 when none waits).",
                    oldestDropSeconds ?? 0)
        text.family("opine_filesystem_free_bytes", .gauge, "Bytes free on the file systems holding the spool and the state directory.",
                    freeBytes.sorted { $0.key < $1.key }.map { ([("filesystem", $0.key)], Double($0.value)) })
    }
}
