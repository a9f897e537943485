import Foundation

/// A bundle under construction: files plus a manifest as a mutable JSON dictionary, so each test can break one thing.
/// The one way tests build a manifest, a directory bundle or a zip bundle.
public struct BundleBuilder {
    /// One file of the bundle, with what its manifest entry says about it.
    public typealias File = (path: String, data: Data, kind: String, mediaType: String)

    /// The files written into the bundle, in order (the manifest lists them in this order too).
    public var files: [File]
    /// The manifest's fields; `files` is computed from `files` unless a test sets it here.
    public var manifest: [String: Any]

    /// The test patient every bundle is for.
    public static let patient = (name: "Jane Q. Doe", dateOfBirth: "1968-04-02", email: "jane.doe@example.org", phone: "+1 405 555 0100")
    /// What the manifests hold about the patient; none of it may reach a log or an error message.
    public static let patientData = [patient.name, patient.email, patient.phone, patient.dateOfBirth]

    /// A valid bundle: a radiology report and one DICOM image (seeded by `submissionID`, so bundles differ), for the
    /// test patient (under another `name` if given).
    public init(submissionID: String = "web-\(UUID().uuidString.prefix(8))", symptoms: [String] = ["sciatica"], name: String = patient.name) {
        files = [
            ("report.pdf", Samples.pdf, "radiology_report", "application/pdf"),
            ("MRI/IM000001", Samples.dicom(submissionID), "imaging", "application/dicom"),
        ]
        manifest = [
            "version": 1, "submission_id": submissionID, "submitted_at": "2026-11-26T09:30:00Z",
            "patient": ["name": name, "date_of_birth": Self.patient.dateOfBirth, "email": Self.patient.email, "phone": Self.patient.phone],
            "consent": ["hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z"],
            "request": ["regions": ["lumbar"], "question": "Is surgery needed for my L4-L5 herniation?", "symptoms": symptoms],
        ]
    }

    /// The submission id the manifest carries.
    public var submissionID: String { manifest["submission_id"] as? String ?? "" }

    /// The `files` array as the manifest lists them, computed from the files.
    public func listedFiles() -> [[String: Any]] {
        files.map { ["path": $0.path, "kind": $0.kind, "media_type": $0.mediaType, "size": $0.data.count, "sha256": Samples.sha256($0.data)] }
    }

    /// The manifest with its `files` listing filled in, as a dictionary a test may still change.
    public func completeManifest() -> [String: Any] {
        var manifest = self.manifest
        if manifest["files"] == nil { manifest["files"] = listedFiles() }
        return manifest
    }

    /// Changes one object inside the manifest (`patient`, `request`, `consent`) in place.
    public mutating func edit(_ section: String, _ change: (inout [String: Any]) -> Void) {
        var object = manifest[section] as? [String: Any] ?? [:]
        change(&object)
        manifest[section] = object
    }

    /// `manifest.json` as written: the complete manifest with sorted keys.
    public func manifestData() throws -> Data {
        try JSONSerialization.data(withJSONObject: completeManifest(), options: [.sortedKeys])
    }

    /// `manifest.json` as text, for tests that break it by editing the text.
    public func manifestText() throws -> String {
        String(decoding: try manifestData(), as: UTF8.self)
    }

    /// Writes a directory bundle at `folder/name` (the files first, the manifest last) and returns its URL.
    public func writeDirectory(in folder: URL, name: String = "bundle", manifestData override: Data? = nil) throws -> URL {
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

    /// The entries a zip of this bundle holds (manifest first), for `ZipWriter.build` to write or a test to bend.
    public func zipEntries(deflate: Bool = true) throws -> [ZipWriter.Entry] {
        [ZipWriter.Entry(name: "manifest.json", data: try manifestData(), deflate: deflate)]
            + files.map { ZipWriter.Entry(name: $0.path, data: $0.data, deflate: deflate) }
    }

    /// Writes a zip bundle at `folder/name` (name should end in `.zip`) and returns its URL.
    public func writeZip(in folder: URL, name: String, deflate: Bool = true) throws -> URL {
        let file = folder.appendingPathComponent(name)
        try ZipWriter.build(try zipEntries(deflate: deflate)).write(to: file)
        return file
    }
}
