#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// Reads a refused upload's submission id from its manifest, however else the upload failed: a directory's top-level
/// manifest.json, or a zip's `manifest.json` entry found through its central directory. The reads keep intake's own
/// bounds (no link followed, no FIFO opened, the manifest's size limit, a bounded inflate), and anything unreadable
/// gives nil: the refusal then carries no submission id.
enum LenientSubmission {
    /// The submission id of the upload at `path` (in the drop directory), or nil.
    static func read(_ path: String, limits: IntakeSettings, today: Date) -> String? {
        guard let info = FileOperations.lstat(path) else { return nil }
        let bytes: [UInt8]?
        if FileOperations.isDirectory(info) {
            bytes = directoryManifest(path)
        } else if FileOperations.isRegular(info), path.lowercased().hasSuffix(".zip") {
            bytes = ZipBundleReader.lenientManifest(path: path)
        } else {
            bytes = nil
        }
        return bytes.flatMap { Manifest.lenientSubmissionID($0, limits: limits, today: today) }
    }

    private static func directoryManifest(_ path: String) -> [UInt8]? {
        guard let root = try? FileOperations.openDirectory(path) else { return nil }
        defer { close(root) }
        guard case .bytes(let bytes)? = try? BundleTree.readManifest(root) else { return nil }
        return bytes
    }
}
