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

    @Test("A linked image whose SHA-256 its writer computed is listed with that digest and read only for its header; a PDF is still read whole; a copy hashes every byte")
    func knownDigests() throws {
        let image = Samples.dicom("known", size: 3 << 20)
        let (study, work) = try PackerTests.folder(["DICOM/IM1": image, "report.pdf": Samples.pdf])
        defer { try? FileManager.default.removeItem(at: work) }
        let imagePath = study.appendingPathComponent("DICOM/IM1").path
        let reportPath = study.appendingPathComponent("report.pdf").path
        // Digests that are not the files' own: what the manifest lists shows whether the packer hashed the bytes.
        let stated = String(repeating: "ab", count: 32)
        let known = [try #require(FileIdentity(path: imagePath)): stated, try #require(FileIdentity(path: reportPath)): stated]
        var request = Packer.Request(
            folder: study.path, answers: PackerTests.answers, report: nil, output: work.appendingPathComponent("linked").path,
            limits: IntakeSettings())
        request.linksFiles = true
        request.knownDigests = known
        let linked = try Packer.pack(request)
        #expect(linked.files.first { $0.path == "DICOM/IM1" }?.sha256 == stated, "a known digest is not computed again")
        #expect(linked.files.first { $0.path == "report.pdf" }?.sha256 == stated)
        request.output = work.appendingPathComponent("copied").path
        request.linksFiles = false
        let copied = try Packer.pack(request)
        #expect(copied.files.first { $0.path == "DICOM/IM1" }?.sha256 == Samples.sha256(image), "a copy lists the digest of what it wrote")
        #expect(copied.files.first { $0.path == "report.pdf" }?.sha256 == Samples.sha256(Samples.pdf))
    }

    @Test("A digest known for another file (another inode, though the same bytes) is not taken: the file is hashed")
    func digestOfAnotherInode() throws {
        let image = Samples.dicom("other-inode", size: 4096)
        let (study, work) = try PackerTests.folder(["DICOM/IM1": image])
        defer { try? FileManager.default.removeItem(at: work) }
        let copy = work.appendingPathComponent("copy-of-IM1").path
        try FileManager.default.copyItem(atPath: study.appendingPathComponent("DICOM/IM1").path, toPath: copy)
        var request = Packer.Request(
            folder: study.path, answers: PackerTests.answers, report: nil, output: work.appendingPathComponent("bundle").path,
            limits: IntakeSettings())
        request.linksFiles = true
        request.knownDigests = [try #require(FileIdentity(path: copy)): String(repeating: "ef", count: 32)]
        let result = try Packer.pack(request)
        #expect(result.files.first?.sha256 == Samples.sha256(image))
    }
}
