import Foundation
import Logging
import OpineCore

/// Taken uploads renamed aside (`.opine-taken-…`, durable) but not yet deleted. During a burst their deletion waits
/// until intake is idle: on ext4, deleting while creating makes every new file's inode search skip the freed ones
/// (about half of a burst's CPU on this machine, BENCHMARKS.md). Only small uploads wait, at most `limit` of them,
/// so a burst holds a bounded amount of disk; a leftover after a crash is deleted at the next start, audited.
final class TakenUploads: @unchecked Sendable {
    // @unchecked: `waiting` is touched only under `lock`.

    /// The most taken uploads kept waiting for deletion.
    static let limit = 512

    private let logger: Logger
    private let configuration: OpineCore.Configuration
    private let lock = NSLock()
    private var waiting: [String] = []
    /// Deletes what waited, off the loop's thread, so the loop keeps looking at arrivals meanwhile.
    private let deleter = DispatchQueue(label: "opine.intake.taken", qos: .utility)

    /// Taken uploads of the drop directory `configuration` names; a deletion refused is told to `logger`.
    init(logger: Logger, configuration: OpineCore.Configuration) {
        self.logger = logger
        self.configuration = configuration
    }

    /// Deletes one taken upload, or says why it stays: an uploader's folder the opine-upload group cannot write
    /// (copied from a read-only source, say) cannot be emptied by opined. Its case is stored and intake never takes
    /// a hidden name, so nothing is lost, but the disk holds it until a person removes it. False when it stays.
    @discardableResult
    func delete(_ path: String) -> Bool {
        do throws(IOFailure) {
            try FileOperations.removeTree(path)
            return true
        } catch {
            let name = (path as NSString).lastPathComponent
            let metadata: Logger.Metadata = ["leftover": "\(name)", "error": "\(LogSafe.error(error, upload: name, in: configuration))"]
            if error.code == EACCES || error.code == EPERM {
                logger.warning(
                    "a taken upload could not be deleted from the drop directory; its case is stored. Uploaders must make folders the opine-upload group can write (umask 007, and no mode kept from a read-only source: cp -R --no-preserve=mode); remove it as its owner",
                    metadata: metadata)
            } else {
                logger.warning(
                    "a taken upload could not be deleted from the drop directory; its case is stored. Check the disk (the error says what failed); opined tries again at its next start",
                    metadata: metadata)
            }
            return false
        }
    }

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
        deleter.async { for path in paths { self.delete(path) } }
    }

    /// Deletes everything that waited, and what the background is deleting, before returning (intake is stopping).
    func deleteNow() {
        for path in take() { delete(path) }
        deleter.sync {}
    }

    private func take() -> [String] {
        lock.withLock {
            defer { waiting.removeAll() }
            return waiting
        }
    }
}
