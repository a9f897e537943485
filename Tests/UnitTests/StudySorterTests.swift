import Foundation
@testable import OpineCore
import OpineTestSupport
import Testing

/// `StudySorter` and the name rules it applies after the bytes: the decisions of the folder survey, without files.
@Suite("Sorting a study folder: the bytes before the names, the limits for what is not an image, names to rename")
struct StudySorterTests {
    @Test("A viewer folder is named by a word or a known name: DicomViewer and Viewer64 are, For reviewer is not")
    func viewerFolderIsAWord() {
        for name in ["Viewer", "DICOM Viewer", "DicomViewer", "RadiantViewer64", "DICOMVIEWER", "image_viewers", "eFilm"] {
            #expect(Litter.reason(for: "cd/\(name)", isFolder: true) == .viewerProgram, "\(name)")
        }
        for name in ["For reviewer", "Reviewers", "Preview", "viewpoint", "T2 series"] {
            #expect(Litter.reason(for: "cd/\(name)", isFolder: true) == nil, "\(name)")
        }
    }

    @Test("A bundle's own files are left out at the top only, whatever their case")
    func bundleFilesAtTheTop() {
        #expect(Litter.reason(for: "manifest.json", isFolder: false) == .bundleFile)
        #expect(Litter.reason(for: "Manifest.JSON", isFolder: false) == .bundleFile)
        #expect(Litter.reason(for: "reason.json", isFolder: false) == .bundleFile)
        #expect(Litter.reason(for: "DICOM/manifest.json", isFolder: false) == nil)
    }

    @Test("DICOM is kept whatever its name or folder; the rest goes by its folder, its name, its bytes, its size")
    func bytesBeforeNames() {
        let sorter = StudySorter(maxFileBytes: 1000)
        let dicom = Array(Samples.dicom("a"))
        #expect(sorter.sort("x.exe", head: dicom, size: 600, folder: nil) == .keep(.imaging, .dicom))
        #expect(sorter.sort("Viewer/IM1", head: dicom, size: 600, folder: .viewerProgram) == .keep(.imaging, .dicom))
        #expect(sorter.sort("big/IM1", head: dicom, size: 5000, folder: nil) == .keep(.imaging, .dicom), "an image over the limit stops the pack later")
        #expect(sorter.sort("DICOMDIR", head: dicom, size: 5000, folder: nil) == .leaveOut(.tooLarge))
        let cut = Array(Samples.dicomHeader.prefix(128 + 4 + 16))
        #expect(sorter.sort("Viewer/IM2", head: cut, size: 148, folder: .viewerProgram) == .leaveOut(.damaged), "a damaged image is named at its own path")
        let program = [UInt8]([0x4D, 0x5A, 0x90, 0x00]) + [UInt8](repeating: 0, count: 128)
        #expect(sorter.sort("Viewer/viewer.dll", head: program, size: 132, folder: .viewerProgram) == .withFolder)
        #expect(sorter.sort("setup.exe", head: program, size: 132, folder: nil) == .leaveOut(.viewerProgram))
        #expect(sorter.sort("index.htm", head: Array("<html>".utf8), size: 6, folder: nil) == .leaveOut(.viewerProgram))
        #expect(sorter.sort("a\tb", head: [0, 1], size: 2, folder: nil) == .leaveOut(.unsupportedType))
        #expect(sorter.sort("preview.png", head: Array(Samples.png), size: 5000, folder: nil) == .leaveOut(.tooLarge))
        #expect(sorter.sort("README.TXT", head: Array("Study\n".utf8), size: 6, folder: nil) == .keep(.other, .text))
        #expect(StudySorter.isDICOM(Array(dicom.prefix(StudySorter.markBytes))))
    }

    @Test("Admitting a kept path names what opined would refuse: not UTF-8, the manifest's name, a bad path, a clash")
    func admitNamesTheProblem() {
        var sorter = StudySorter(maxFileBytes: 1000)
        #expect(sorter.admit("DICOM/IM1") == nil)
        let clash = sorter.admit("DICOM/im1")
        #expect(clash?.contains("DICOM/IM1 and DICOM/im1") == true, "\(clash ?? "admitted")")
        #expect(sorter.admit("IM\\xFF2", validName: false) == "a name is not valid UTF-8: IM\\xFF2; rename it and pack again")
        #expect(sorter.admit("MANIFEST.json")?.contains("manifest") == true)
        #expect(sorter.admit(".cache/IM1")?.contains("hidden component") == true)
        #expect(sorter.admit("a\tb")?.contains("U+0009") == true)
        let folders = sorter.admit("dicom/IM2")
        #expect(folders?.contains("DICOM and dicom are one name") == true, "a folder's name clashes too: \(folders ?? "admitted")")
        #expect(sorter.admit("DICOM/IM2") == nil)
        sorter.release("DICOM/IM1")
        #expect(sorter.admit("DICOM/im1") == nil, "a released path's name is free again")
    }
}
