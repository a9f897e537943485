import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What waits in the drop directory: a count and the oldest upload's age, for `opine status` and the metrics. An
/// upload still being written (an in-progress name) is not counted.
public enum DropBacklog {
    /// The uploads waiting in `directory` and the seconds since the oldest last changed (nil when none waits), or
    /// nil when the directory cannot be read.
    public static func measure(_ directory: String, now: Date) -> (uploads: Int, oldestSeconds: Double?)? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var uploads = 0
        var oldest: Double?
        for name in names where !ReadinessPolicy.isInProgressName(name) {
            uploads += 1
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0 else { continue }
            let changed = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            oldest = min(oldest ?? changed, changed)
        }
        return (uploads, oldest.map { max(0, now.timeIntervalSince1970 - $0) })
    }
}
