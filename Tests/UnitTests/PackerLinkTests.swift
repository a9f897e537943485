import Foundation
import OpineCore
import OpinePack
import OpineTestSupport
import Testing

/// The upload service's way of packing: finished uploads hard-linked into the bundle, read once to hash them.
@Suite("The packer linking files instead of copying them")
struct PackerLinkTests {
    @Test("Linked files are the uploads' own bytes, group-readable, listed with their SHA-256; the manifest is written")
    func linksFiles() throws {
        let image = Samples.dicom("linked")
        let (study, work) = try PackerTests.folder(["DICOM/IM1": image])
        defer { try? FileManager.default.removeItem(at: work) }
        let source = study.appendingPathComponent("DICOM/IM1").path
        chmod(source, 0o600)
        var request = Packer.Request(
            folder: study.path, answers: PackerTests.answers, report: nil, output: work.appendingPathComponent("bundle").path,
            limits: IntakeSettings())
        request.linksFiles = true
        let result = try Packer.pack(request)
        let packed = work.appendingPathComponent("bundle/DICOM/IM1").path
        var original = stat()
        var linked = stat()
        #expect(stat(source, &original) == 0 && stat(packed, &linked) == 0)
        #expect(linked.st_ino == original.st_ino, "the bundle's file is the upload's inode, not a copy")
        #expect(linked.st_mode & 0o777 == 0o640, "opined, in the uploader's group, can read it")
        #expect(result.files.first?.sha256 == Samples.sha256(image))
        let manifest = try Data(contentsOf: work.appendingPathComponent("bundle/manifest.json"))
        #expect(String(decoding: manifest, as: UTF8.self).contains(result.submissionID))
    }
}
