import Foundation

/// Taken uploads renamed aside (`.opine-taken-…`, durable) but not yet deleted. During a burst their deletion waits
/// until intake is idle: on ext4, deleting while creating makes every new file's inode search skip the freed ones
/// (about half of a burst's CPU on this machine, BENCHMARKS.md). Only small uploads wait, at most `limit` of them,
/// so a burst holds a bounded amount of disk; a leftover after a crash is deleted at the next start, audited.
final class TakenUploads: @unchecked Sendable {
    // @unchecked: `waiting` is touched only under `lock`.

    /// The most taken uploads kept waiting for deletion.
    static let limit = 512

    private let lock = NSLock()
    private var waiting: [String] = []
    /// Deletes what waited, off the loop's thread, so the loop keeps looking at arrivals meanwhile.
    private let deleter = DispatchQueue(label: "opine.intake.taken", qos: .utility)

    /// Keeps `path` for deletion later; false when enough wait already (delete it now).
    func keep(_ path: String) -> Bool {
        lock.withLock {
            guard waiting.count < Self.limit else { return false }
            waiting.append(path)
            return true
        }
    }

    /// Deletes everything that waited, in the background (intake is idle).
    func deleteInBackground() {
        let paths = take()
        guard !paths.isEmpty else { return }
        deleter.async { for path in paths { try? FileOperations.removeTree(path) } }
    }

    /// Deletes everything that waited, and what the background is deleting, before returning (intake is stopping).
    func deleteNow() {
        for path in take() { try? FileOperations.removeTree(path) }
        deleter.sync {}
    }

    private func take() -> [String] {
        lock.withLock {
            defer { waiting.removeAll() }
            return waiting
        }
    }
}
