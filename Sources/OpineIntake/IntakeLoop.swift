#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore
import Synchronization

/// The drop-directory loop: wait for inotify or a deadline, look at what changed, take what is ready (emergencies
/// first), and rescan in full now and then. It runs on a thread of its own because intake is blocking disk I/O and
/// must not starve Swift's small cooperative pool.
public final class IntakeLoop: @unchecked Sendable {
    // @unchecked: all mutable state below is touched only by the thread inside `run()`; `stop()` only flips the
    // atomic flag and writes to the wake-up pipe.
    private let intake: Intake
    /// The loop never sleeps longer than this, so it beats often enough for the watchdog.
    private let maxIdle: Double
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// A pipe whose read end wakes `poll` when `stop()` writes to it.
    private let wake: (read: Int32, write: Int32)
    /// Called after every pass of the loop and after each upload taken.
    private let onPass: @Sendable () -> Void
    /// Called once, after the first full listing of the drop directory (opined is then ready).
    private let onReady: @Sendable () -> Void

    private struct Pending {
        var due: Double
        var renamedIn = false
        var failures = 0
    }
    private var pending: [String: Pending] = [:]

    /// Sets up the loop; `onPass` lets the daemon beat a heartbeat, `onReady` tell systemd that opined is ready.
    public init(
        intake: Intake, logger: Logger, maxIdle: Double = 5, onPass: @escaping @Sendable () -> Void = {},
        onReady: @escaping @Sendable () -> Void = {}
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
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// Asks `run()` to return after the upload being taken (if any) is finished.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private var now: Double { intake.clock().timeIntervalSince1970 }

    /// Watches and takes uploads on the calling thread until `stop()`; throws if the drop directory cannot be watched.
    public func run() throws {
        let drop = intake.configuration.dropDirectory
        let watcher = try DropWatcher(path: drop)
        var nextRescan = 0.0
        var ready = false
        while !stopping.load(ordering: .sequentiallyConsistent) {
            if now >= nextRescan {
                rescan()
                nextRescan = now + intake.limits.rescanSeconds
                if !ready {
                    ready = true
                    onReady()
                }
            }
            let deadline = min(nextRescan, pending.values.map(\.due).min() ?? .infinity)
            waitForEvents(watcher, until: deadline)
            if stopping.load(ordering: .sequentiallyConsistent) { break }
            let events = watcher.drain()
            if events.overflow { nextRescan = 0 }
            for name in events.names where !ReadinessPolicy.isInProgressName(name) {
                pending[name, default: Pending(due: 0)].due = 0
                if events.renamedIn.contains(name) { pending[name]?.renamedIn = true }
            }
            processDue(watcher)
            onPass()
        }
        logger.info("intake stopped")
    }

    private func waitForEvents(_ watcher: DropWatcher, until deadline: Double) {
        let cap = maxIdle * 1000
        let milliseconds = Int32(deadline.isInfinite ? cap : max(0, min(cap, (deadline - now) * 1000)).rounded(.up))
        var fds = [pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, milliseconds)
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
            if pending[name] == nil { pending[name] = Pending(due: 0) }
        }
        for name in pending.keys where !present.contains(name) { pending.removeValue(forKey: name) }
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

    /// Uploads per pass whose look (walk, manifest, parse) is kept for their take.
    static let looksKept = 64

    /// Looks at every upload that is due, then takes the ready ones most urgent first.
    private func processDue(_ watcher: DropWatcher) {
        let current = now
        let limits = intake.limits
        let policy = ReadinessPolicy(settleSeconds: limits.settleSeconds, incompleteAfterSeconds: limits.incompleteAfterSeconds)
        var ready: [(name: String, rank: Int, due: Double)] = []
        // What was read is kept for the take, for a bounded number of uploads and apart from `ready` (a look is
        // several hundred bytes inline): a flood is read twice rather than held in memory.
        var looks: [String: UploadLook] = [:]
        for (name, item) in pending where item.due <= current {
            guard let look = UploadLook.look(at: name, in: intake.configuration.dropDirectory, limits: limits, today: intake.clock()) else {
                pending.removeValue(forKey: name)
                continue
            }
            switch policy.decide(look.observation, now: now, renamedIn: item.renamedIn) {
            case .take:
                ready.append((name, look.priorityHint.rank, item.due))
                if looks.count < Self.looksKept { looks[name] = look }
            case .wait(let until):
                pending[name]?.due = until
                pending[name]?.renamedIn = false
            case .rejectIncomplete:
                let hours = String(format: "%.3g", policy.incompleteAfterSeconds / 3600)
                _ = intake.quarantine(
                    name: name, path: intake.configuration.dropDirectory + "/" + name,
                    rejection: Rejection(.incomplete, "the bundle stayed incomplete (manifest.json missing or listed files missing or short) with no change for \(hours) hours"),
                    submissionID: nil)
                pending.removeValue(forKey: name)
            }
        }
        ready.sort { ($0.rank, $0.due, $0.name) < ($1.rank, $1.due, $1.name) }
        for item in ready {
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            switch intake.take(item.name, look: looks.removeValue(forKey: item.name)) {
            case .retryLater:
                let failures = (pending[item.name]?.failures ?? 0) + 1
                // 5 s, 10 s, 20 s … up to a minute: a full disk is retried without spinning, and intake resumes
                // within a minute of space returning.
                pending[item.name] = Pending(due: now + min(60, 5 * pow(2, Double(failures - 1))), failures: failures)
            default:
                pending.removeValue(forKey: item.name)
            }
            onPass()
        }
    }
}
