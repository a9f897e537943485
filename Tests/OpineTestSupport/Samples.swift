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

    /// A DICOM file of `size` bytes (even, at least 400) with a readable header, a sagittal lumbar MR image of the test
    /// patient (`patient`, `born` as DICOM writes them), whose pixel data is a hash chain of `seed` (different seeds,
    /// different files), with `preamble` (128 bytes) in place of the zeroed one.
    public static func dicom(
        _ seed: String = "x", size: Int = 600, preamble: Data = Data(count: 128), patient: String = "DOE^JANE", born: String = "19680402"
    ) -> Data {
        precondition(preamble.count == 128, "a DICOM preamble is 128 bytes")
        var data = preamble + dicomHeader.dropFirst(128) + dicomDataSet(patient: patient, born: born)
        let pixels = max(0, size - data.count - 12)
        data += Data([0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0, 0]) + withUnsafeBytes(of: UInt32(pixels).littleEndian) { Data($0) }
        var filler = Data(SHA256.hash(data: Data(seed.utf8)))
        while data.count < size {
            data += filler
            filler = Data(SHA256.hash(data: filler))
        }
        return data.prefix(size)
    }

    /// The data set every sample image carries (explicit VR little endian): modality, study description, the
    /// patient, body part, study and series UIDs, and a sagittal orientation.
    static func dicomDataSet(patient: String, born: String) -> Data {
        func element(_ group: UInt16, _ number: UInt16, _ vr: String, _ text: String) -> Data {
            var value = Data(text.utf8)
            if value.count % 2 == 1 { value.append(vr == "UI" ? 0 : 0x20) }
            return withUnsafeBytes(of: group.littleEndian) { Data($0) } + withUnsafeBytes(of: number.littleEndian) { Data($0) }
                + Data(vr.utf8) + withUnsafeBytes(of: UInt16(value.count).littleEndian) { Data($0) } + value
        }
        return element(0x0008, 0x0060, "CS", "MR") + element(0x0008, 0x1030, "LO", "MR LUMBAR SPINE")
            + element(0x0008, 0x103E, "LO", "T2 SAG") + element(0x0010, 0x0010, "PN", patient) + element(0x0010, 0x0030, "DA", born)
            + element(0x0018, 0x0015, "CS", "LSPINE") + element(0x0020, 0x000D, "UI", "2.25.1") + element(0x0020, 0x000E, "UI", "2.25.1.1")
            + element(0x0020, 0x0037, "DS", "0\\1\\0\\0\\0\\-1")
    }

    /// A PNG signature followed by zeros: enough for the content check to call it a PNG.
    public static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(count: 64)

    /// Lowercase hex SHA-256, as manifests list it.
    public static func sha256(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
