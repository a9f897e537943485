import Crypto
import Foundation

/// Fake but well-formed file contents of each media type a bundle may hold: the one place tests get a PDF, a DICOM
/// file or a PNG from.
public enum Samples {
    /// The smallest PDF the content check accepts: a header, one object, a trailer and `%%EOF`.
    public static let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)

    /// The DICOM file meta header: group length 28, then the transfer syntax (explicit VR little endian).
    public static let dicomMeta = Data([0x02, 0, 0, 0, 0x55, 0x4C, 4, 0, 28, 0, 0, 0, 0x02, 0, 0x10, 0, 0x55, 0x49, 20, 0])
        + Data("1.2.840.10008.1.2.1\0".utf8)

    /// What every DICOM file starts with: a 128-byte preamble (zeros), `DICM`, and the meta header.
    public static let dicomHeader = Data(count: 128) + Data("DICM".utf8) + dicomMeta

    /// A Windows program's first bytes filling a DICOM preamble, as a file that is both valid DICOM and an
    /// executable would have them: 128 bytes.
    public static let executablePreamble = Data([0x4D, 0x5A, 0x90, 0x00]) + Data(repeating: 0xCC, count: 124)

    /// A DICOM file of `size` bytes whose pixel data is a hash chain of `seed` (different seeds, different files),
    /// with `preamble` (128 bytes) in place of the zeroed one.
    public static func dicom(_ seed: String = "x", size: Int = 600, preamble: Data = Data(count: 128)) -> Data {
        precondition(preamble.count == 128, "a DICOM preamble is 128 bytes")
        var data = preamble + dicomHeader.dropFirst(128)
        var filler = Data(SHA256.hash(data: Data(seed.utf8)))
        while data.count < size {
            data += filler
            filler = Data(SHA256.hash(data: filler))
        }
        return data.prefix(size)
    }

    /// A PNG signature followed by zeros: enough for the content check to call it a PNG.
    public static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(count: 64)

    /// Lowercase hex SHA-256, as manifests list it.
    public static func sha256(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
