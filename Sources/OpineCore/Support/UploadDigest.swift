import Crypto

/// How logs name an upload: by a short, stable digest of its name, never the name itself, because upload pages and
/// SFTP users name files after patients. `opine rejected` shows the name beside its digest for those allowed to see
/// it, so a log line can still be traced to its upload.
public enum UploadDigest {
    /// How many hexadecimal digits of the SHA-256 are kept: 48 bits, enough to tell a day's uploads apart.
    public static let length = 12

    /// The digest of an upload's name as it arrived in the drop directory.
    public static func of(_ name: String) -> String { of(displayedName: name.escapedForDisplay) }

    /// The digest of a name already escaped for display, as the store keeps it (`rejections.upload_name`).
    public static func of(displayedName: String) -> String {
        String(Hex.lowercase(SHA256.hash(data: Array(displayedName.utf8))).prefix(length))
    }
}
