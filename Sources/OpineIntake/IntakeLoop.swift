#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore
import Synchronization

/// The drop-directory loop: wait for inotify, a finished take or a deadline; look at what changed; hand the ready
/// uploads to the intake lanes, most urgent first; rescan in full now and then. It runs on a thread of its own and
/// never copies a byte itself, so it looks at a new arrival while both lanes are busy, and an emergency is ranked
/// ahead of everything waiting the moment it is seen (docs/bundle-format.md, "Order of intake").
public final class IntakeLoop: @unchecked Sendable {
    // @unchecked: all mutable state below is touched only by the thread inside `run()`; `stop()` only flips the
    // atomic flag and writes to the wake-up pipe, and the lanes hand results back under their own lock.
    private let intake: Intake
    /// The loop never sleeps longer than this, so it beats often enough for the watchdog.
    private let maxIdle: Double
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// A pipe whose read end wakes `poll` when `stop()` writes to it, or a lane finishes a take.
    private let wake: (read: Int32, write: Int32)
    /// Called after every pass of the loop.
    private let onPass: @Sendable () -> Void
    /// Called once, after the first full listing of the drop directory (opined is then ready).
    private let onReady: @Sendable () -> Void
    /// The lanes, main first; each beats its own heartbeat (`laneHeartbeats`).
    private var lanes: [IntakeLane] = []

    /// What the loop knows of an upload still in the drop directory.
    private struct Pending {
        /// When intake first saw it, for first-come order among equals.
        var arrival: UInt64
        var renamedIn = false
        var failures = 0
        /// A lane is taking it: it is neither looked at nor queued until the lane hands it back.
        var taking = false
        /// It changed while a lane was taking it: look again once the take ends, if it is still there.
        var changedWhileTaking = false
    }
    private var pending: [String: Pending] = [:]
    /// Uploads to look at, and from when: only those not yet queued or taken, so a pass never walks the whole flood.
    private var lookAt: [String: Double] = [:]
    private var arrivals: UInt64 = 0
    private var queue = IntakeQueue(expressMaxBytes: IntakeSettings().expressLaneMaxBytes)
    /// What readiness read, kept for the take, for a bounded number of queued uploads (a flood is read twice
    /// rather than held in memory).
    private var looks: [String: UploadLook] = [:]

    /// Sets up the loop; `onPass` lets the daemon beat a heartbeat, `onReady` tell systemd that opined is ready.
    /// `laneHeartbeats` (main, then express) are beaten by the lanes; without them the lanes beat their own.
    public init(
        intake: Intake, logger: Logger, maxIdle: Double = 5, laneHeartbeats: [Heartbeat] = [],
        onPass: @escaping @Sendable () -> Void = {}, onReady: @escaping @Sendable () -> Void = {}
    ) throws {
        self.intake = intake
        self.logger = logger
        self.maxIdle = maxIdle
        self.onPass = onPass
        self.onReady = onReady
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw FileOperations.fail("pipe", "wake-up") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
        let writeEnd = fds[1]
        lanes = IntakeQueue.Lane.allCases.enumerated().map { index, kind in
            let heartbeat = index < laneHeartbeats.count ? laneHeartbeats[index] : Heartbeat(name: Self.heartbeatName(kind))
            return IntakeLane(kind: kind, intake: intake, heartbeat: heartbeat, maxIdle: maxIdle, onDone: {
                var byte: UInt8 = 1
                _ = write(writeEnd, &byte, 1)
            })
        }
    }

    /// The name a lane's heartbeat goes by in the heartbeat file and the stalled-loop log line.
    public static func heartbeatName(_ lane: IntakeQueue.Lane) -> String { "intake-\(lane.rawValue)" }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// Asks `run()` to return once the uploads being taken (if any) are finished.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private var now: Double { intake.clock().timeIntervalSince1970 }
    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// Watches and takes uploads until `stop()`; throws if the drop directory cannot be watched.
    public func run() throws {
        let watcher = try DropWatcher(path: intake.configuration.dropDirectory)
        lanes.forEach { $0.start() }
        defer {
            lanes.forEach { $0.stop() }
            intake.taken.deleteNow()
        }
        var nextRescan = 0.0
        var ready = false
        while !isStopping {
            if now >= nextRescan {
                rescan()
                nextRescan = now + intake.limits.rescanSeconds
                if !ready {
                    ready = true
                    onReady()
                }
            }
            waitForEvents(watcher, until: min(nextRescan, lookAt.values.min() ?? .infinity))
            if isStopping { break }
            drainWakePipe()
            let events = watcher.drain()
            if events.overflow { nextRescan = 0 }
            for name in events.names where !ReadinessPolicy.isInProgressName(name) {
                noteChange(name, renamedIn: events.renamedIn.contains(name))
            }
            collectCompletions()
            lookAtDue()
            dispatch()
            onPass()
        }
        logger.info("intake stopped")
    }

    /// Something happened to `name`: look at it (again) now.
    private func noteChange(_ name: String, renamedIn: Bool) {
        if pending[name] == nil {
            arrivals += 1
            pending[name] = Pending(arrival: arrivals)
        }
        if pending[name]!.taking {
            pending[name]!.changedWhileTaking = true
            return
        }
        lookAt[name] = 0
        if renamedIn { pending[name]!.renamedIn = true }
        queue.remove(name)
        looks.removeValue(forKey: name)
    }

    private func waitForEvents(_ watcher: DropWatcher, until deadline: Double) {
        let cap = maxIdle * 1000
        let milliseconds = Int32(deadline.isInfinite ? cap : max(0, min(cap, (deadline - now) * 1000)).rounded(.up))
        var fds = [pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, milliseconds)
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wake.read, &buffer, buffer.count) > 0 {}
    }

    /// Lists the drop directory, so nothing depends on an inotify event having arrived.
    private func rescan() {
        let drop = intake.configuration.dropDirectory
        guard let fd = try? FileOperations.openDirectory(drop) else {
            logger.error("cannot read the drop directory", metadata: ["path": "\(drop)"])
            return
        }
        defer { close(fd) }
        guard let names = try? FileOperations.listDirectoryRaw(fd, display: drop) else { return }
        var present = Set<String>()
        for raw in names {
            guard let name = String(validating: raw, as: UTF8.self) else {
                renameUnreadableName(raw, in: fd)
                continue
            }
            guard !ReadinessPolicy.isInProgressName(name) else { continue }
            present.insert(name)
            if pending[name] == nil {
                arrivals += 1
                pending[name] = Pending(arrival: arrivals)
                lookAt[name] = 0
            }
        }
        for (name, item) in pending where !present.contains(name) && !item.taking { forget(name) }
    }

    /// An upload whose name is not UTF-8 cannot be named in a path string; give it a readable name so it is judged
    /// like any other upload instead of waiting forever.
    private func renameUnreadableName(_ raw: [UInt8], in directory: Int32) {
        let isZip = raw.count > 4 && raw.suffix(4).map { $0 | 0x20 } == Array(".zip".utf8)
        let newName = "renamed-\(UUID().uuidString.lowercased())" + (isZip ? ".zip" : "")
        let result = (raw + [0]).withUnsafeBufferPointer { old in
            old.withMemoryRebound(to: CChar.self) { renameat(directory, $0.baseAddress!, directory, newName) }
        }
        if result == 0 {
            logger.warning("renamed an upload whose name is not valid UTF-8", metadata: ["upload": "\(newName)"])
        }
    }

    /// Uploads whose look (walk, manifest, parse) is kept for their take.
    static let looksKept = 64
    /// How long one pass may spend looking before it hands work to idle lanes and checks for new arrivals again.
    static let lookBudgetSeconds = 0.05

    private func forget(_ name: String) {
        pending.removeValue(forKey: name)
        lookAt.removeValue(forKey: name)
        queue.remove(name)
        looks.removeValue(forKey: name)
    }

    /// Settles what the lanes finished: a failure is retried after a pause; anything else leaves the drop directory
    /// (or was changed meanwhile, and is looked at again).
    private func collectCompletions() {
        for lane in lanes {
            for done in lane.collect() {
                guard var item = pending[done.name] else { continue }
                item.taking = false
                if done.outcome == .waitingForCase {
                    // Looked at again soon: the case it waits for is usually a copy or a commit away.
                    item.failures += 1
                    lookAt[done.name] = now + min(10, Double(item.failures))
                    pending[done.name] = item
                } else if case .retryLater = done.outcome {
                    item.failures += 1
                    // 5 s, 10 s, 20 s … up to a minute: a full disk is retried without spinning, and intake resumes
                    // within a minute of space returning.
                    lookAt[done.name] = now + min(60, 5 * pow(2, Double(item.failures - 1)))
                    pending[done.name] = item
                } else if item.changedWhileTaking {
                    pending[done.name] = Pending(arrival: item.arrival)
                    lookAt[done.name] = 0
                } else {
                    pending.removeValue(forKey: done.name)
                }
            }
        }
    }

    /// Looks at uploads that are due, newest arrival first and for at most `lookBudgetSeconds`, so an emergency
    /// renamed in behind a flood is looked at within one pass; the rest wait for the next pass.
    private func lookAtDue() {
        let started = now
        let limits = intake.limits
        queue.expressMaxBytes = limits.expressLaneMaxBytes
        let policy = ReadinessPolicy(settleSeconds: limits.settleSeconds, incompleteAfterSeconds: limits.incompleteAfterSeconds)
        let due = lookAt.filter { $0.value <= started }.compactMap { name, _ in pending[name].map { (name, $0) } }
            .sorted { $0.1.arrival > $1.1.arrival }
        for (name, item) in due {
            if now - started > Self.lookBudgetSeconds || isStopping { return }
            // A lane that finished meanwhile gets its next work now, not after the rest of the looking.
            if queue.count > 0, lanes.contains(where: \.isIdle) { dispatch() }
            guard let look = UploadLook.look(at: name, in: intake.configuration.dropDirectory, limits: limits, today: intake.clock()) else {
                forget(name)
                continue
            }
            switch policy.decide(look.observation, now: now, renamedIn: item.renamedIn) {
            case .take:
                lookAt.removeValue(forKey: name)
                queue.insert(.init(name: name, priority: look.priorityHint, bytes: look.bytes, arrival: item.arrival))
                if looks.count < Self.looksKept { looks[name] = look }
            case .wait(let until):
                lookAt[name] = until
                pending[name]?.renamedIn = false
            case .reject(let rejection):
                let submissionID = look.directory?.reading.submissionID
                _ = intake.quarantine(
                    name: name, path: intake.configuration.dropDirectory + "/" + name, rejection: rejection,
                    submissionID: submissionID)
                forget(name)
            }
        }
    }

    /// Hands each idle lane what it takes next (one upload, or a group of small ones); once nothing is queued or
    /// being taken, the copy buffers kept for the next bundle are freed and the taken uploads deleted.
    private func dispatch() {
        var busy = false
        for lane in lanes where !isStopping {
            let group = lane.isIdle ? queue.nextGroup(for: lane.kind) : []
            if !group.isEmpty {
                for entry in group { pending[entry.name]?.taking = true }
                lane.assign(.init(uploads: group.map { ($0.name, looks.removeValue(forKey: $0.name)) }))
            }
            busy = busy || !lane.isIdle
        }
        if !busy, queue.count == 0 {
            ChunkBuffers.shared.release()
            intake.taken.deleteInBackground()
        }
    }
}
