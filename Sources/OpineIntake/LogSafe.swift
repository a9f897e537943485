import Foundation
import OpineCore

/// How intake names an upload, and a failure while taking it, in its log and in `opine status`: upload pages and
/// SFTP users name files and folders after patients, so a name is never written, only its `UploadDigest`, and a
/// path keeps only the directories Opine names itself (`opine rejected` shows the name beside its digest).
enum LogSafe {
    /// The upload's digest, as log lines carry it under `upload`.
    static func upload(_ name: String) -> String { UploadDigest.of(name) }

    /// A quarantine folder (`<time>-<name>`) by its time and the digest of the rest.
    static func quarantineFolder(_ folder: String) -> String {
        let time = folder.prefix(17)
        return time + UploadDigest.of(String(folder.dropFirst(time.count)))
    }

    /// `error` in words with the upload's name, and every path below it, left out.
    static func error(_ error: Error, upload name: String) -> String {
        if let failure = error as? IOFailure {
            return "\(failure.operation) \(path(failure.path, upload: name)): \(String(cString: strerror(failure.code)))"
        }
        let digest = "upload-" + upload(name)
        return "\(error)".replacingOccurrences(of: name, with: digest)
            .replacingOccurrences(of: name.escapedForDisplay, with: digest)
    }

    /// A path as far as its upload (by digest) or its staging folder; what lies below is the bundle's own naming.
    static func path(_ path: String, upload name: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let index = components.firstIndex(of: name) {
            let below = index + 1 < components.count ? "/…" : ""
            return components[..<index].joined(separator: "/") + "/upload-" + upload(name) + below
        }
        if let index = components.firstIndex(of: "staging"), index + 1 < components.count {
            let below = index + 2 < components.count ? "/…" : ""
            return components[...(index + 1)].joined(separator: "/") + below
        }
        // Not a path of this upload (the database, a case folder named by its id): safe as it is.
        return path.escapedForDisplay
    }
}
