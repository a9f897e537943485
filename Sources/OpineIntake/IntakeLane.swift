import Foundation
import OpineCore

/// One lane of intake: a thread of its own that takes the uploads the loop hands it, one at a time, and hands back
/// what became of each. The loop keeps looking at new arrivals while lanes copy, so an emergency is ranked the moment
/// it arrives and taken by the first lane free to take it (`IntakeQueue` says which lane may take what).
final class IntakeLane: @unchecked Sendable {
    // @unchecked: `job`, `done` and `stopping` are touched only under `condition`; the rest is immutable.

    /// Uploads handed to the lane together, each with what readiness read of it: one, or a group of small ones
    /// (`IntakeQueue.nextGroup`).
    struct Job {
        var uploads: [(name: String, look: UploadLook?)]
    }

    /// What became of one upload the lane took.
    struct Completion {
        var name: String
        var outcome: Intake.Outcome
    }

    let kind: IntakeQueue.Lane
    /// Beaten on every wait while idle and on every chunk copied, so the watchdog sees a wedged lane.
    let heartbeat: Heartbeat
    private let intake: Intake
    private let maxIdle: Double
    /// Wakes the loop when a take ends.
    private let onDone: @Sendable () -> Void
    private let condition = NSCondition()
    private var job: Job?
    private var done: [Completion] = []
    private var stopping = false
    private var running = false
    private var thread: Thread?

    /// A lane of `kind` taking uploads through `intake`; `onDone` is called (on the lane's thread) after each take.
    init(kind: IntakeQueue.Lane, intake: Intake, heartbeat: Heartbeat, maxIdle: Double, onDone: @escaping @Sendable () -> Void) {
        self.kind = kind
        self.intake = intake
        self.heartbeat = heartbeat
        self.maxIdle = maxIdle
        self.onDone = onDone
    }

    /// Starts the lane's thread.
    func start() {
        let thread = Thread { [self] in work() }
        thread.name = "opine-intake-\(kind.rawValue)"
        condition.withLock {
            running = true
            self.thread = thread
        }
        thread.start()
    }

    /// Whether the lane is free for a new upload (it has none, and has handed back what it took).
    var isIdle: Bool { condition.withLock { job == nil } }

    /// Hands the lane uploads to take; the lane must be idle.
    func assign(_ job: Job) {
        condition.withLock {
            precondition(self.job == nil, "an intake lane was handed a second upload")
            self.job = job
            condition.broadcast()
        }
    }

    /// What the lane finished since the last call.
    func collect() -> [Completion] {
        condition.withLock {
            defer { done.removeAll() }
            return done
        }
    }

    /// Lets the lane finish the upload it is taking, then ends its thread and waits for that.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }

    private func work() {
        while let job = nextJob() {
            // The express lane syncs file by file: a `syncfs` would wait for the study the main lane is writing.
            let outcomes = intake.take(job.uploads, heartbeat: heartbeat, fileByFile: kind == .express, deferDeletion: true)
            heartbeat.beat()
            condition.withLock {
                done += zip(job.uploads, outcomes).map { Completion(name: $0.name, outcome: $1) }
                self.job = nil
            }
            onDone()
        }
        condition.withLock {
            running = false
            condition.broadcast()
        }
    }

    /// Waits for an upload, beating while idle; nil once the lane is asked to stop.
    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while !stopping {
            if let job { return job }
            condition.unlock()
            heartbeat.beat()
            condition.lock()
            if job == nil, !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: maxIdle)) }
        }
        return nil
    }
}
