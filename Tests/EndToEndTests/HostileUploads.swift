import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// The hostile and broken uploads `HostileBundleTests` drops, each built in code with the rejection it must get.
extension HostileBundleTests {
    /// How to place one hostile upload, and the reason it must get.
    struct Case: Sendable {
        var name: String
        var expected: Rejection.Code
        var place: @Sendable (Sandbox, URL) throws -> Void
    }

    static let canary = "opine-canary-\(UUID().uuidString.prefix(8))"

    static func directory(_ name: String, _ expected: Rejection.Code, _ change: @escaping @Sendable (inout BundleBuilder, URL) throws -> Void) -> Case {
        Case(name: name, expected: expected) { sandbox, work in
            var builder = BundleBuilder(submissionID: "web-\(name)")
            let folder = try builder.writeDirectory(in: work, name: name)
            try change(&builder, folder)
            try sandbox.dropRenamed(folder, as: name)
        }
    }

    static func manifest(_ name: String, _ expected: Rejection.Code, _ change: @escaping @Sendable (inout [String: Any]) -> Void) -> Case {
        directory(name, expected) { builder, folder in
            var manifest = builder.completeManifest()
            change(&manifest)
            try JSONSerialization.data(withJSONObject: manifest).write(to: folder.appendingPathComponent("manifest.json"))
        }
    }

    static func zip(_ name: String, _ expected: Rejection.Code, _ entries: @escaping @Sendable (BundleBuilder) throws -> [ZipWriter.Entry]) -> Case {
        Case(name: name, expected: expected) { sandbox, work in
            let file = work.appendingPathComponent(name + ".zip")
            try ZipWriter.build(try entries(BundleBuilder(submissionID: "web-\(name)"))).write(to: file)
            try sandbox.dropRenamed(file, as: name + ".zip")
        }
    }

    /// A directory bundle whose file `index` is replaced by `data`, with the manifest updated to match, so only the
    /// content check can object.
    static func swapped(_ name: String, _ expected: Rejection.Code, file index: Int, _ data: Data) -> Case {
        directory(name, expected) { builder, folder in
            var m = builder.completeManifest()
            var files = builder.listedFiles()
            files[index]["size"] = data.count; files[index]["sha256"] = Samples.sha256(data)
            m["files"] = files
            try data.write(to: folder.appendingPathComponent(builder.files[index].path))
            try JSONSerialization.data(withJSONObject: m).write(to: folder.appendingPathComponent("manifest.json"))
        }
    }

    static func zipWithExtra(_ name: String, _ expected: Rejection.Code, _ entryName: String) -> Case {
        zip(name, expected) { b in try b.zipEntries() + [.init(name: entryName, data: Data("x".utf8))] }
    }

    /// A small zip, for archives nested in bundles and appended to PDFs.
    static let innerZip: Data = (try? ZipWriter.build([.init(name: "payload.exe", data: Data([0x4D, 0x5A]) + Data(count: 64))])) ?? Data()

    /// Creates a file whose name is `bytes` exactly (not valid UTF-8, say), which Foundation cannot name.
    static func createRawName(in folder: URL, _ bytes: [UInt8]) {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        let file = (bytes + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { openat(fd, $0.baseAddress!, O_WRONLY | O_CREAT, 0o644) }
        }
        #expect(file >= 0)
        close(file)
    }

    static let invalidUTF8 = Array("MRI/".utf8) + [0xC3, 0x28, 0xFF]

    static let cases: [Case] = [
        manifest("manifest-sibling-prefix", .unsafePath) { m in
            var files = m["files"] as! [[String: Any]]; files[0]["path"] = "../cases-\(canary)/report.pdf"; m["files"] = files
        },
        zipWithExtra("zip-sibling-prefix", .unsafePath, "../drop-\(canary)/x"),
        zipWithExtra("zip-nul-in-name", .unsafePath, "MRI/IM\u{0}.exe"),
        zip("zip-invalid-utf8-name", .unsafePath) { b in try b.zipEntries() + [.init(name: "", data: Data("x".utf8), rawName: Data(invalidUTF8))] },
        zip("zip-duplicate-name", .duplicateName) { b in try b.zipEntries() + [.init(name: "MRI/IM000001", data: Data("x".utf8))] },
        directory("invalid-utf8-file-name", .unsafePath) { _, folder in
            createRawName(in: folder.appendingPathComponent("MRI"), Array(invalidUTF8.dropFirst(4)))
        },
        directory("device-in-bundle", .specialFile) { _, folder in
            // A character device where the test may make one (root), otherwise a socket: both are special files.
            let path = folder.appendingPathComponent("MRI/IM000009").path
            if mknod(path, S_IFCHR | 0o600, dev_t((1 << 8) | 3)) != 0 {  // 1:3, like /dev/null
                let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in
                    for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
                }
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
                #expect(bound == 0, "could make neither a device nor a socket")
                close(socket)
            }
        },
        Case(name: "invalid-utf8-upload-name", expected: .unsupportedVersion) { sandbox, work in
            // The upload's own name is not UTF-8: opined renames it (renamed-…) and judges it like any other.
            var builder = BundleBuilder(submissionID: "web-invalid-utf8-upload-name")
            builder.manifest["version"] = 2
            let folder = try builder.writeDirectory(in: work, name: "raw-name")
            let target = Array(sandbox.drop.path.utf8) + [0x2F, 0x75, 0xFF, 0xFE]
            let moved = (target + [0]).withUnsafeBufferPointer { name in
                name.withMemoryRebound(to: CChar.self) { rename(folder.path, $0.baseAddress!) }
            }
            #expect(moved == 0)
        },
        swapped("pdf-header-late", .contentTypeMismatch, file: 0, Data("not a pdf yet\n".utf8) + Samples.pdf),
        swapped("pdf-without-eof", .contentTypeMismatch, file: 0, Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n".utf8)),
        swapped("pdf-encrypted", .fileEncrypted, file: 0,
                Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<</Root 1 0 R/Encrypt 2 0 R>>\n%%EOF\n".utf8)),
        swapped("pdf-with-zip-appended", .contentTypeMismatch, file: 0, Samples.pdf + innerZip),
        swapped("dicom-truncated-meta-header", .contentTypeMismatch, file: 1, Samples.dicomHeader.prefix(128 + 4 + 16)),
        swapped("nested-archive-as-dicom", .contentTypeMismatch, file: 1, innerZip),
        zip("zip-nested-archive", .contentTypeMismatch) { b in
            var builder = b
            builder.files[1].data = innerZip
            return try builder.zipEntries()
        },
        swapped("pdf-that-is-an-elf", .contentTypeMismatch, file: 0, Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]) + Data(count: 120)),
        directory("manifest-not-utf8", .manifestInvalidJSON) { builder, folder in
            var bytes = [UInt8](try builder.manifestData())
            let at = bytes.firstIndex(of: UInt8(ascii: "?"))!
            bytes[at] = 0xFF
            try Data(bytes).write(to: folder.appendingPathComponent("manifest.json"))
        },
        directory("deeply-nested-json", .manifestInvalidJSON) { _, folder in
            try Data((String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)).utf8)
                .write(to: folder.appendingPathComponent("manifest.json"))
        },
        manifest("manifest-absolute-path", .unsafePath) { m in
            var files = m["files"] as! [[String: Any]]; files[0]["path"] = "/etc/\(canary)"; m["files"] = files
        },
        manifest("manifest-backslash-path", .unsafePath) { m in
            var files = m["files"] as! [[String: Any]]; files[1]["path"] = "MRI\\IM000001"; m["files"] = files
        },
        zipWithExtra("zip-terminal-escape-name", .unsafePath, "MRI/\u{1B}[2J\u{1B}]0;owned\u{07}"),
        zipWithExtra("zip-newline-name", .unsafePath, "MRI/first\nsecond"),
        zipWithExtra("zip-overlong-name", .unsafePath, "MRI/" + String(repeating: "n", count: 300)),
        zipWithExtra("zip-deep-nesting", .unsafePath, String(repeating: "d/", count: 200) + "x"),
        zip("zip-unicode-collision", .duplicateName) { b in
            try b.zipEntries() + [.init(name: "MRI/caf\u{E9}", data: Data("x".utf8)), .init(name: "MRI/cafe\u{301}", data: Data("y".utf8))]
        },
        zip("zip-too-many-entries", .limitExceeded) { b in
            try b.zipEntries() + (0..<5001).map { .init(name: "MRI/extra\($0)", data: Data()) }
        },
        directory("newline-in-directory-name", .unsafePath) { _, folder in
            try Data("x".utf8).write(to: folder.appendingPathComponent("MRI/first\nsecond"))
        },
        manifest("traversal-in-manifest", .unsafePath) { m in
            var files = m["files"] as! [[String: Any]]; files[0]["path"] = "../\(canary)"; m["files"] = files
        },
        zip("zip-traversal", .unsafePath) { b in try b.zipEntries() + [.init(name: "../../\(canary)", data: Data("x".utf8))] },
        zip("zip-absolute", .unsafePath) { b in try b.zipEntries() + [.init(name: "/tmp/\(canary)", data: Data("x".utf8))] },
        zip("zip-backslash", .unsafePath) { b in try b.zipEntries() + [.init(name: "MRI\\..\\..\\\(canary)", data: Data("x".utf8))] },
        zip("zip-bidi-name", .unsafePath) { b in try b.zipEntries() + [.init(name: "report\u{202E}fdp.exe", data: Data("x".utf8))] },
        directory("symlink-in-bundle", .specialFile) { _, folder in
            try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("MRI/IM000009").path, withDestinationPath: "/etc/passwd")
        },
        directory("fifo-in-bundle", .specialFile) { _, folder in
            #expect(mkfifo(folder.appendingPathComponent("MRI/pipe").path, 0o600) == 0)
        },
        directory("manifest-is-a-fifo", .specialFile) { _, folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("manifest.json"))
            #expect(mkfifo(folder.appendingPathComponent("manifest.json").path, 0o600) == 0)
        },
        directory("manifest-links-to-dev-zero", .specialFile) { _, folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("manifest.json"))
            try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("manifest.json").path, withDestinationPath: "/dev/zero")
        },
        directory("hardlink-in-bundle", .specialFile) { _, folder in
            try FileManager.default.linkItem(at: folder.appendingPathComponent("report.pdf"), to: folder.appendingPathComponent("MRI/report-link.pdf"))
        },
        zip("zip-symlink-entry", .specialFile) { b in
            try b.zipEntries() + [.init(name: "MRI/link", data: Data("/etc/passwd".utf8), unixMode: 0o120777)]
        },
        zip("zip-bomb-declared-small", .zipBomb) { b in
            var entries = try b.zipEntries()
            // 8 MiB of zeros claiming to be the listed 600 bytes: extraction must stop at the declared size.
            let zeros = Data(count: 8 << 20)
            entries[2] = .init(name: "MRI/IM000001", data: zeros, deflate: true, declaredSize: UInt32(b.files[1].data.count), crc: 0)
            return entries
        },
        Case(name: "zip-overlapping-entries", expected: .zipBomb) { sandbox, work in
            let file = work.appendingPathComponent("overlap.zip")
            try ZipWriter.overlapping().write(to: file)
            try sandbox.dropRenamed(file, as: "overlap.zip")
        },
        zip("zip-high-ratio", .limitExceeded) { b in
            // 64 MiB of zeros deflates to a few dozen KiB; the per-file limit in this sandbox is 16 MiB.
            try b.zipEntries() + [.init(name: "MRI/IM000003", data: Data(count: 64 << 20), deflate: true)]
        },
        zip("zip-encrypted", .zipEncrypted) { b in
            var entries = try b.zipEntries(); entries[1].flags |= 0x0001; return entries
        },
        zip("zip-local-header-disagrees", .zipInvalid) { b in
            var entries = try b.zipEntries(); entries[1].localName = "other.pdf"; return entries
        },
        zip("zip-crc-mismatch", .zipInvalid) { b in
            var entries = try b.zipEntries(); entries[1].crc = 0xDEAD_BEEF; return entries
        },
        zip("zip-case-collision", .duplicateName) { b in
            try b.zipEntries() + [.init(name: "REPORT.PDF", data: Samples.pdf)]
        },
        Case(name: "zip-truncated", expected: .incomplete) { sandbox, work in
            let file = work.appendingPathComponent("truncated.zip")
            let whole = try ZipWriter.build(try BundleBuilder(submissionID: "web-truncated").zipEntries())
            try whole.prefix(whole.count / 2).write(to: file)
            try sandbox.dropRenamed(file, as: "truncated.zip")
        },
        directory("checksum-mismatch", .checksumMismatch) { builder, folder in
            var data = builder.files[1].data; data[200] ^= 0xFF
            try data.write(to: folder.appendingPathComponent("MRI/IM000001"))
        },
        directory("unlisted-file", .unlistedFile) { _, folder in
            try Data("notes".utf8).write(to: folder.appendingPathComponent("MRI/notes.txt"))
        },
        swapped("pdf-that-is-a-png", .contentTypeMismatch, file: 0, Samples.png),
        swapped("dicom-without-dicm", .contentTypeMismatch, file: 1, Data(count: 600)),
        manifest("birth-date-in-future", .manifestInvalidField) { m in
            var patient = m["patient"] as! [String: Any]; patient["date_of_birth"] = "2999-01-01"; m["patient"] = patient
        },
        manifest("unknown-symptom", .unknownSymptom) { m in
            var request = m["request"] as! [String: Any]; request["symptoms"] = ["sciatica", "itchy_elbow"]; m["request"] = request
        },
        manifest("no-consent", .consentMissing) { m in
            m["consent"] = ["hipaa_authorization": false, "signed_at": "2026-11-26T09:29:00Z"]
        },
        manifest("version-2", .unsupportedVersion) { m in m["version"] = 2 },
        manifest("no-contact", .manifestInvalidField) { m in
            m["patient"] = ["name": "Jane Q. Doe", "date_of_birth": "1968-04-02"]
        },
        directory("duplicate-keys", .manifestInvalidJSON) { builder, folder in
            let text = String(decoding: try builder.manifestData(), as: UTF8.self)
            try Data(text.replacingOccurrences(of: "{\"consent\"", with: "{\"version\":1,\"consent\"").utf8)
                .write(to: folder.appendingPathComponent("manifest.json"))
        },
        directory("byte-order-mark", .manifestInvalidJSON) { builder, folder in
            try (Data([0xEF, 0xBB, 0xBF]) + builder.manifestData()).write(to: folder.appendingPathComponent("manifest.json"))
        },
        directory("manifest-too-large", .manifestTooLarge) { builder, folder in
            var m = builder.completeManifest()
            var request = m["request"] as! [String: Any]; request["question"] = String(repeating: "x", count: Manifest.maxBytes + 1); m["request"] = request
            try JSONSerialization.data(withJSONObject: m).write(to: folder.appendingPathComponent("manifest.json"))
        },
        directory("size-smaller-than-file", .sizeMismatch) { builder, folder in
            try (builder.files[1].data + Data(count: 10)).write(to: folder.appendingPathComponent("MRI/IM000001"))
        },
        directory("manifest-never-arrives", .incomplete) { _, folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("manifest.json"))
        },
        Case(name: "stray-file", expected: .notABundle) { sandbox, work in
            let file = work.appendingPathComponent("scan.jpg")
            try Data([0xFF, 0xD8, 0xFF]).write(to: file)
            try sandbox.dropRenamed(file, as: "scan.jpg")
        },
    ]
}
