import Crypto
import Foundation
import ZIPFoundation

/// Fake but well-formed file contents of each media type.
enum Samples {
    static let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
    /// The DICOM file meta header: group length 28, then the transfer syntax (explicit VR little endian).
    static let dicomMeta = Data([0x02, 0, 0, 0, 0x55, 0x4C, 4, 0, 28, 0, 0, 0, 0x02, 0, 0x10, 0, 0x55, 0x49, 20, 0])
        + Data("1.2.840.10008.1.2.1\0".utf8)

    static func dicom(_ seed: String = "x", size: Int = 600) -> Data {
        var data = Data(count: 128) + Data("DICM".utf8) + dicomMeta
        var filler = Data(SHA256.hash(data: Data(seed.utf8)))
        while data.count < size { data += filler; filler = Data(SHA256.hash(data: filler)) }
        return data.prefix(size)
    }
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(count: 64)

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}

/// A bundle under construction: files plus a manifest as a mutable JSON dictionary, so each test can break one thing.
struct BundleBuilder {
    var files: [(path: String, data: Data, kind: String, mediaType: String)]
    var manifest: [String: Any]

    init(submissionID: String = "web-\(UUID().uuidString.prefix(8))", symptoms: [String] = ["sciatica"], name: String = "Jane Q. Doe") {
        files = [
            ("report.pdf", Samples.pdf, "radiology_report", "application/pdf"),
            ("MRI/IM000001", Samples.dicom(submissionID), "imaging", "application/dicom"),
        ]
        manifest = [
            "version": 1, "submission_id": submissionID, "submitted_at": "2026-11-26T09:30:00Z",
            "patient": ["name": name, "date_of_birth": "1968-04-02", "email": "jane.doe@example.org", "phone": "+1 405 555 0100"],
            "consent": ["hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z"],
            "request": ["regions": ["lumbar"], "question": "Is surgery needed for my L4-L5 herniation?", "symptoms": symptoms],
        ]
    }

    /// The `files` array as the manifest lists them (computed from the files unless a test overrides it).
    func listedFiles() -> [[String: Any]] {
        files.map { ["path": $0.path, "kind": $0.kind, "media_type": $0.mediaType, "size": $0.data.count, "sha256": Samples.sha256($0.data)] }
    }

    func manifestData() throws -> Data {
        var manifest = self.manifest
        if manifest["files"] == nil { manifest["files"] = listedFiles() }
        return try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
    }

    /// Writes a directory bundle at `folder/name` and returns its URL.
    func writeDirectory(in folder: URL, name: String = "bundle", manifestData override: Data? = nil) throws -> URL {
        let root = folder.appendingPathComponent(name)
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.data.write(to: url)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try (override ?? manifestData()).write(to: root.appendingPathComponent("manifest.json"))
        return root
    }

    /// The entries a zip of this bundle holds (manifest first).
    func zipEntries(deflate: Bool = true) throws -> [ZipWriter.Entry] {
        [ZipWriter.Entry(name: "manifest.json", data: try manifestData(), deflate: deflate)]
            + files.map { ZipWriter.Entry(name: $0.path, data: $0.data, deflate: deflate) }
    }
}

/// Writes zip archives byte by byte, so tests can make both honest archives and every kind of lie a hostile one tells.
enum ZipWriter {
    struct Entry {
        var name: String
        var data: Data
        var deflate = false
        var unixMode: UInt32? = 0o100644
        var flags: UInt16 = 0x0800
        /// The name written in the local header, when it should disagree with the central directory.
        var localName: String?
        /// Name bytes written as they are (invalid UTF-8, say), instead of `name`.
        var rawName: Data?
        /// The uncompressed size declared in both headers, when it should lie.
        var declaredSize: UInt32?
        var crc: UInt32?
    }

    static func build(_ entries: [Entry]) throws -> Data {
        var out = Data()
        var central = Data()
        for entry in entries {
            let payload = entry.deflate ? try compress(entry.data) : entry.data
            let crc = entry.crc ?? entry.data.crc32(checksum: 0)
            let size = entry.declaredSize ?? UInt32(entry.data.count)
            let offset = UInt32(out.count)
            let method: UInt16 = entry.deflate ? 8 : 0
            let name = entry.rawName ?? Data(entry.name.utf8)
            let localName = entry.localName.map { Data($0.utf8) } ?? name
            out += le32(0x0403_4B50) + le16(20) + le16(entry.flags) + le16(method) + le16(0) + le16(0x5B21)
            out += le32(crc) + le32(UInt32(payload.count)) + le32(size)
            out += le16(UInt16(localName.count)) + le16(0) + localName + payload
            let madeBy: UInt16 = entry.unixMode == nil ? 20 : (3 << 8) | 20
            central += le32(0x0201_4B50) + le16(madeBy) + le16(20) + le16(entry.flags) + le16(method) + le16(0)
            central += le16(0x5B21) + le32(crc) + le32(UInt32(payload.count)) + le32(size)
            central += le16(UInt16(name.count)) + le16(0) + le16(0) + le16(0) + le16(0)
            central += le32((entry.unixMode ?? 0) << 16) + le32(offset) + name
        }
        return out + central + endRecord(count: entries.count, centralSize: central.count, centralOffset: out.count)
    }

    /// Two entries whose data overlap: the second entry's header and data sit inside the first's data.
    static func overlapping() -> Data {
        let inner = Data(count: 4096)
        let innerLocal = localHeader(name: "MRI/IM000002", data: inner) + inner
        let outer = localHeader(name: "MRI/IM000001", data: innerLocal)
        let innerOffset = UInt32(outer.count)
        let body = outer + innerLocal
        let directory = centralHeader(name: "MRI/IM000001", data: innerLocal, offset: 0)
            + centralHeader(name: "MRI/IM000002", data: inner, offset: innerOffset)
        return body + directory + endRecord(count: 2, centralSize: directory.count, centralOffset: body.count)
    }

    private static func localHeader(name: String, data: Data) -> Data {
        let nameBytes = Data(name.utf8)
        var header = le32(0x0403_4B50) + le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x5B21)
        header += le32(data.crc32(checksum: 0)) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        header += le16(UInt16(nameBytes.count)) + le16(0) + nameBytes
        return header
    }

    private static func centralHeader(name: String, data: Data, offset: UInt32) -> Data {
        let nameBytes = Data(name.utf8)
        var header = le32(0x0201_4B50) + le16((3 << 8) | 20) + le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x5B21)
        header += le32(data.crc32(checksum: 0)) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        header += le16(UInt16(nameBytes.count)) + le16(0) + le16(0) + le16(0) + le16(0)
        header += le32(0o100644 << 16) + le32(offset) + nameBytes
        return header
    }

    static func endRecord(count: Int, centralSize: Int, centralOffset: Int) -> Data {
        var record = le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(count)) + le16(UInt16(count))
        record += le32(UInt32(centralSize)) + le32(UInt32(centralOffset)) + le16(0)
        return record
    }

    static func compress(_ data: Data) throws -> Data {
        var out = Data()
        _ = try Data.compress(size: Int64(data.count), bufferSize: 64 * 1024, provider: { position, size in
            data.subdata(in: Int(position)..<min(data.count, Int(position) + size))
        }, consumer: { out += $0 })
        return out
    }

    static func le16(_ value: UInt16) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
    static func le32(_ value: UInt32) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
}
