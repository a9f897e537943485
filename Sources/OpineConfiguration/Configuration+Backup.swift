import Foundation
import OpineCore
import TOMLKit

extension Configuration {
    /// The configuration file as a backup keeps it: byte for byte, except that an endpoint URL's credentials (a user,
    /// a password, a query such as `?token=…`) are removed, since a backup must never hold a secret. Secrets kept
    /// in files (`secret_file`) or the environment (`secret_env`) are never read. Returns the bytes and the endpoints
    /// whose URL was changed (their credentials must be put back by hand after a restore).
    public static func backupCopy(of path: String) throws -> (bytes: [UInt8], redactedEndpoints: [String]) {
        guard var text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("\(path): cannot be read as UTF-8 text for the backup")
        }
        var redacted: [String] = []
        for (name, url) in try endpointURLs(text, source: path) {
            guard let clean = withoutCredentials(url) else { continue }
            for quote in ["\"", "'"] {
                text = text.replacingOccurrences(of: quote + url + quote, with: quote + clean + quote)
            }
            redacted.append(name)
        }
        if let left = try endpointURLs(text, source: path).first(where: { withoutCredentials($0.1) != nil }) {
            throw ConfigurationError(
                "\(path): endpoints.\(left.0).url holds credentials written in a form the backup cannot remove; write the url as one plain \"…\" string")
        }
        return (Array(text.utf8), redacted)
    }

    /// The URL without its user, password, query and fragment; nil when it has none of them.
    static func withoutCredentials(_ url: String) -> String? {
        guard var components = URLComponents(string: url),
              components.user != nil || components.password != nil || components.query != nil || components.fragment != nil
        else { return nil }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string
    }

    private static func endpointURLs(_ text: String, source: String) throws -> [(String, String)] {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw ConfigurationError("\(source): not valid TOML, so it cannot be backed up safely: \(error)")
        }
        guard let endpoints = table["endpoints"]?.table else { return [] }
        return endpoints.keys.sorted().compactMap { name in
            endpoints[name]?.table?["url"]?.string.map { (name, $0) }
        }
    }
}
