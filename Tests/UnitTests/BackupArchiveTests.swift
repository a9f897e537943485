import Crypto
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import Testing

@Suite("The backup archive: tar headers, streaming writer and reader, hostile members, the manifest, configuration secrets")
struct BackupArchiveTests {
    @Test("ustar headers round-trip; a long path or a size from 8 GiB goes in a pax header")
    func headersRoundTrip() throws {
        let short = TarHeader(path: "state/cases/C-1/report.pdf", size: 1234, kind: .file, mode: 0o600, mtime: 1_700_000_000)
        let shortBytes = short.encoded()
        #expect(shortBytes.count == 512)
        #expect(try TarHeader.decode(shortBytes[...]) == short)

        let longPath = "state/cases/C-1/" + String(repeating: "séries/", count: 20) + "image.dcm"
        let big = TarHeader(path: longPath, size: 9 << 30, kind: .file)
        let bytes = big.encoded()
        #expect(bytes.count == 512 * 3, "pax header, its records, then the ustar header")
        let pax = try #require(try TarHeader.decode(bytes[0..<512]))
        #expect(pax.kind == .paxExtended)
        let records = try TarHeader.parsePax(Array(bytes[512..<(512 + Int(pax.size))]))
        #expect(records == ["path": longPath, "size": String(9 << 30)])
        #expect(try TarHeader.decode(bytes[1024..<1536], pax: records) == big)
    }

    @Test("a damaged header, or a member cut short, is an error, not a silent end")
    func damageIsFound() throws {
        var bytes = TarHeader(path: "opine.toml", size: 3, kind: .file).encoded()
        bytes[10] ^= 1
        #expect(throws: TarFormatError.self) { try TarHeader.decode(bytes[...]) }
        #expect(try TarHeader.decode([UInt8](repeating: 0, count: 512)[...]) == nil)

        let url = try Self.archive([TarHeader(path: "opine.toml", size: 4096, kind: .file).encoded() + [UInt8](repeating: 1, count: 100)])
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        let reader = ArchiveReader(fd: fd, display: url.path)
        _ = try reader.next()
        #expect(throws: TarFormatError.self) { try reader.readData { _ in } }
    }

    @Test("the writer streams files in chunks and the reader gives back the same bytes and hashes; GNU tar agrees")
    func writerAndReaderRoundTrip() throws {
        let folder = try Self.folder()
        let sizes = [0, 1, 511, 512, 2500, 70_001]
        for (index, size) in sizes.enumerated() {
            try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }).write(to: folder.appendingPathComponent("f\(index)"))
        }
        let archive = folder.appendingPathComponent("a.tar")
        let fd = open(archive.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        let writer = ArchiveWriter(fd: fd, display: archive.path, chunkBytes: 4096)
        for index in sizes.indices {
            let member = "state/cases/C-1/" + (index == 5 ? String(repeating: "long-folder/", count: 12) : "") + "f\(index)"
            _ = try writer.addFile(at: folder.appendingPathComponent("f\(index)").path, as: member)
        }
        try writer.addBytes(Array("[paths]\n".utf8), as: "opine.toml")
        try writer.finish()
        close(fd)

        let input = open(archive.path, O_RDONLY)
        defer { close(input) }
        let reader = ArchiveReader(fd: input, display: archive.path, chunkBytes: 4096)
        var read: [BackupManifest.Entry] = []
        while let header = try reader.next() {
            let bytes = try reader.readAll(limit: 1 << 20)
            read.append(.init(path: header.path, size: Int64(bytes.count), sha256: Hex.lowercase(SHA256.hash(data: bytes))))
        }
        #expect(read == writer.entries)

        let extract = folder.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: extract, withIntermediateDirectories: true)
        #expect(try Self.tar(["-xf", archive.path, "-C", extract.path]) == 0)
        let long = extract.appendingPathComponent("state/cases/C-1/" + String(repeating: "long-folder/", count: 12) + "f5")
        #expect(try Data(contentsOf: long) == Data(contentsOf: folder.appendingPathComponent("f5")))
    }

    @Test("hostile member paths and kinds are refused on restore", arguments: [
        ("/etc/passwd", TarHeader.Kind.file, "absolute"),
        ("state/cases/../../etc/x", .file, ".."),
        ("state/cases/C-1/../../../x", .file, ".."),
        ("state/cases/C-1/link", .other(UInt8(ascii: "2")), "symbolic link"),
        ("state/cases/C-1/hard", .other(UInt8(ascii: "1")), "hard link"),
        ("state/cases/C-1/dev", .other(UInt8(ascii: "3")), "character device"),
        ("spool/rejected/x/fifo", .other(UInt8(ascii: "6")), "FIFO"),
        ("state/cases//x", .file, "empty"),
        ("state/staging/x", .file, "not a place"),
        ("state/cases/C-1", .file, "not a place"),
        ("etc/opine.toml", .file, "not a place"),
    ])
    func hostileMembers(path: String, kind: TarHeader.Kind, reason: String) {
        guard case .failure(let refusal) = BackupLayout.check(TarHeader(path: path, size: 0, kind: kind)) else {
            Issue.record("\(path) was accepted")
            return
        }
        #expect(refusal.description.contains(reason), "\(refusal)")
    }

    @Test("the places a backup writes are accepted")
    func acceptedMembers() {
        #expect(BackupLayout.check(TarHeader(path: "state/opine.sqlite3", size: 1, kind: .file)) == .success(.database))
        #expect(BackupLayout.check(TarHeader(path: "state/cases/C-1/a/b.dcm", size: 1, kind: .file)) == .success(.caseFile))
        #expect(BackupLayout.check(TarHeader(path: "spool/rejected/2026-x/upload/..hidden", size: 1, kind: .file)) == .success(.rejectedFile))
        #expect(BackupLayout.check(TarHeader(path: "manifest.json", size: 1, kind: .file)) == .success(.manifest))
    }

    /// A tar stream of `blocks` followed by the end marker.
    static func archive(_ blocks: [[UInt8]]) throws -> URL {
        let url = try folder().appendingPathComponent("a.tar")
        try Data(blocks.flatMap { $0 + [UInt8](repeating: 0, count: TarHeader.padding(after: Int64($0.count))) }).write(to: url)
        return url
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("opine-archive-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func tar(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
