import Foundation
import Synchronization

/// The last time a working loop showed it was alive. Loops beat on every pass (and intake on every chunk it
/// copies); the watchdog pings systemd only while every loop has beaten recently, so a wedged loop gets the service
/// restarted instead of silently stopping intake or delivery.
public final class Heartbeat: Sendable {
    /// The loop's name, as the heartbeat file and the stalled-loop log line show it.
    public let name: String
    private let lastBeat = Atomic<Int64>(Heartbeat.nowMilliseconds())

    /// Makes a heartbeat that has just beaten.
    public init(name: String) { self.name = name }

    /// Records that the loop is alive; stalls here while a test asks it to (`OPINE_TEST_STALL_FILE`).
    public func beat() {
        TestHooks.stallWhileRequested()
        lastBeat.store(Self.nowMilliseconds(), ordering: .relaxed)
    }

    /// Seconds since the last beat.
    public var age: Double { Double(Self.nowMilliseconds() - lastBeat.load(ordering: .relaxed)) / 1000 }

    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// Hooks for tests that must make the daemon misbehave on purpose. Inert unless the variable is set.
package enum TestHooks {
    /// While the file named by `OPINE_TEST_STALL_FILE` exists, a loop that beats stops right there, as a wedged loop
    /// would.
    static let stallFile = ProcessInfo.processInfo.environment["OPINE_TEST_STALL_FILE"]

    static func stallWhileRequested() {
        guard let stallFile else { return }
        while FileManager.default.fileExists(atPath: stallFile) { usleep(50_000) }
    }
}
