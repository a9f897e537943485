import Foundation
import OpineCore

/// How intake names an upload, and a failure while taking it, in its log and in `opine status`: upload pages and
/// SFTP users name files and folders after patients, so a name is never written, only its `UploadDigest`, and a
/// path keeps only the directories Opine names itself (`opine rejected` shows the name beside its digest).
package enum LogSafe {
    /// The upload's digest, as log lines carry it under `upload`.
    static func upload(_ name: String) -> String { UploadDigest.of(name) }

    /// A quarantine folder (`<time>-<name>`) by its time and the digest of the rest.
    static func quarantineFolder(_ folder: String) -> String {
        let time = folder.prefix(17)
        return time + UploadDigest.of(String(folder.dropFirst(time.count)))
    }

    /// A set-aside folder (`<label>-<time>-<8 hex>`) by the digest of its label, then its time and tag: the label is
    /// usually a case id, but a supplement's file set aside without its hash is labelled by its own (patient-chosen)
    /// name. A name of another shape is digested whole.
    package static func orphanedFolder(_ folder: String) -> String {
        let parts = folder.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[parts.count - 2].count == 16, parts[parts.count - 1].count == 8 else {
            return UploadDigest.of(folder)
        }
        let label = parts.dropLast(2).joined(separator: "-")
        return UploadDigest.of(label) + "-" + parts.suffix(2).joined(separator: "-")
    }

    /// `error` in words with the upload's name, and every path below it, left out.
    static func error(_ error: Error, upload name: String, in configuration: OpineCore.Configuration) -> String {
        if let failure = error as? IOFailure {
            return "\(failure.operation) \(path(failure.path, upload: name, in: configuration)): \(String(cString: strerror(failure.code)))"
        }
        let digest = "upload-" + upload(name)
        return "\(error)".replacingOccurrences(of: name, with: digest)
            .replacingOccurrences(of: name.escapedForDisplay, with: digest)
    }

    /// A path as far as the entry of one of intake's folders it lies in, that entry in the form Opine names it (an
    /// upload or a quarantine folder by digest, a case folder by its id); what lies below is the bundle's own naming
    /// (a supplement's files keep their patient-chosen paths inside `cases/<id>/`). Elsewhere, a path through the
    /// upload is cut there; any other path (the database, the folders themselves) is Opine's and shown whole.
    static func path(_ path: String, upload name: String, in configuration: OpineCore.Configuration) -> String {
        let folders: [(directory: String, entry: (String) -> String)] = [
            (configuration.dropDirectory, { $0.hasPrefix(Intake.takenPrefix) ? $0 : "upload-" + UploadDigest.of($0) }),
            (configuration.stagingDirectory, { $0 }),
            (configuration.casesDirectory, { $0 }),
            (configuration.rejectedDirectory, quarantineFolder),
            (configuration.orphanedDirectory, orphanedFolder),
        ]
        for (directory, shown) in folders where path.hasPrefix(directory + "/") {
            let below = path.dropFirst(directory.count + 1).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let entry = below.first, !entry.isEmpty else { continue }
            return directory.escapedForDisplay + "/" + shown(String(entry)) + (below.count > 1 ? "/…" : "")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let index = components.firstIndex(of: name) {
            let below = index + 1 < components.count ? "/…" : ""
            return components[..<index].joined(separator: "/") + "/upload-" + upload(name) + below
        }
        return path.escapedForDisplay
    }
}
