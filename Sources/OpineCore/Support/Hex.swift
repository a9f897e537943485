/// Lowercase hexadecimal, as hashes and ids are written everywhere in Opine. By table: `String(format: "%02x")`
/// per byte showed up in profiles of many-file bundles.
package enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two lowercase hexadecimal digits per byte, after `prefix`.
    package static func lowercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes, prefix: String = "") -> String {
        var text = Array(prefix.utf8)
        text.reserveCapacity(text.count + bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
