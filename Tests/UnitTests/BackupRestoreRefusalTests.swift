import Crypto
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import Testing

@Suite("Restore refuses hostile and damaged archives and never writes over anything; backups keep no secrets")
struct BackupRestoreRefusalTests {
    @Test("a symlink, an absolute path or a .. member stops the restore, naming it, and nothing is left in the folder",
          arguments: [("state/cases/C-1/evil", TarHeader.Kind.other(UInt8(ascii: "2"))), ("/tmp/evil", .file), ("state/cases/C-1/../../../evil", .file)])
    func hostileArchive(path: String, kind: TarHeader.Kind) throws {
        let archive = try BackupArchiveTests.archive([
            TarHeader(path: "opine.toml", size: 3, kind: .file).encoded() + Array("x=1".utf8),
            TarHeader(path: path, size: 0, kind: kind).encoded(),
        ])
        let target = try BackupArchiveTests.folder().appendingPathComponent("restore")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let error = try #require(throws: IntegrityError.self) { try BackupRestore.restore(from: archive.path, into: target.path) }
        #expect(error.description.contains(path.escapedForDisplay))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)
    }

    @Test("a member twice, or one under a name that is a file, is damage: refused, and nothing is left")
    func collidingMembers() throws {
        for second in ["state/cases/C-1/a", "state/cases/C-1/a/b"] {
            let archive = try BackupArchiveTests.archive([
                TarHeader(path: "state/cases/C-1/a", size: 1, kind: .file).encoded() + [0x41],
                TarHeader(path: second, size: 1, kind: .file).encoded() + [0x42],
            ])
            let target = try BackupArchiveTests.folder().appendingPathComponent("restore")
            let error = try #require(throws: IntegrityError.self) { try BackupRestore.restore(from: archive.path, into: target.path) }
            #expect(error.description.contains(second))
            #expect(!FileManager.default.fileExists(atPath: target.path))
        }
    }

    @Test("a member that does not match the manifest is named; a missing manifest is refused")
    func manifestMismatch() throws {
        let folder = try BackupArchiveTests.folder()
        let archive = folder.appendingPathComponent("b.tar")
        let fd = open(archive.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        let writer = ArchiveWriter(fd: fd, display: archive.path)
        try writer.addBytes(Array("[paths]\n".utf8), as: BackupLayout.configuration)
        try writer.addBytes(Array("dicom".utf8), as: "state/cases/C-1/a.dcm")
        var entries = writer.entries
        entries[1].sha256 = String(repeating: "0", count: 64)
        let manifest = BackupManifest(createdAt: "", opineVersion: "", schemaVersion: 0, auditHead: "0:", cases: 1,
                                      rejectedFolders: 0, skipped: [], redactedEndpoints: [], members: entries)
        try writer.addBytes(Array(try JSONEncoder().encode(manifest)), as: BackupLayout.manifest, listed: false)
        try writer.finish()
        close(fd)
        let target = folder.appendingPathComponent("restore")
        let error = try #require(throws: IntegrityError.self) { try BackupRestore.restore(from: archive.path, into: target.path) }
        #expect(error.description.contains("state/cases/C-1/a.dcm") && error.description.contains("SHA-256"))
        #expect(!FileManager.default.fileExists(atPath: target.path), "a folder restore made is removed again")

        let bare = try BackupArchiveTests.archive([TarHeader(path: "opine.toml", size: 1, kind: .file).encoded() + [0x41]])
        #expect(throws: IntegrityError.self) { try BackupRestore.restore(from: bare.path, into: folder.appendingPathComponent("r2").path) }
    }

    @Test("a manifest that is not format opine-backup, version 1 is refused naming what it declares, and nothing is left",
          arguments: [("tar-backup", "2", #"format "tar-backup", version 2"#), ("opine-backup", "2", #"format "opine-backup", version 2"#),
                      ("opine-backup", #""1""#, #"format "opine-backup", version "1""#)])
    func manifestIdentity(format: String, version: String, declared: String) throws {
        let folder = try BackupArchiveTests.folder()
        let archive = folder.appendingPathComponent("b.tar")
        let fd = open(archive.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        let writer = ArchiveWriter(fd: fd, display: archive.path)
        try writer.addBytes(Array("[paths]\n".utf8), as: BackupLayout.configuration)
        // Every other key as this opine writes it, so only the identity is wrong.
        let manifest = BackupManifest(createdAt: "", opineVersion: "", schemaVersion: 0, auditHead: "0:", cases: 0,
                                      rejectedFolders: 0, skipped: [], redactedEndpoints: [], members: writer.entries)
        var json = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        json = json.replacingOccurrences(of: #""format":"opine-backup""#, with: #""format":"\#(format)""#)
            .replacingOccurrences(of: #""version":1"#, with: #""version":\#(version)"#)
        try writer.addBytes(Array(json.utf8), as: BackupLayout.manifest, listed: false)
        try writer.finish()
        close(fd)
        let target = folder.appendingPathComponent("restore")
        let error = try #require(throws: IntegrityError.self) { try BackupRestore.restore(from: archive.path, into: target.path) }
        #expect(error.description.contains(declared) && error.description.contains("nothing was restored"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: target.path), "nothing is left behind")
        #expect(BackupManifest.Identity(format: "opine-backup", version: "1").refusal == nil)
        #expect(BackupManifest.Identity(format: nil, version: nil).refusal?.contains("format (none), version (none)") == true)
    }

    @Test("the export line restore prints quotes each path for the shell: spaces, quotes, $ and newlines survive a paste")
    func exportLineQuoted() throws {
        let tricky = "/srv/o'brien backups/$HOME `x`\n\\"
        #expect(ShellWords.quoted("/srv/it's") == #"'/srv/it'\''s'"#)
        let line = ShellWords.export(["OPINE_PATHS_STATE": tricky, "OPINE_CONFIG": "/a b/opine.toml"])
        #expect(line.hasPrefix("export OPINE_CONFIG='/a b/opine.toml' OPINE_PATHS_STATE='"))
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", #"eval "$1"; printf '%s|%s' "$OPINE_CONFIG" "$OPINE_PATHS_STATE""#, "sh", line]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(printed == "/a b/opine.toml|" + tricky)
    }

    @Test("a folder that is not empty is refused before anything is read")
    func nonEmptyTarget() throws {
        let folder = try BackupArchiveTests.folder()
        try Data("keep".utf8).write(to: folder.appendingPathComponent("opine.toml"))
        let error = try #require(throws: RestoreRefusal.self) { try BackupRestore.restore(from: "/nonexistent", into: folder.path) }
        #expect(error.description.contains("not empty"))
        #expect(try String(contentsOf: folder.appendingPathComponent("opine.toml"), encoding: .utf8) == "keep")
    }

    @Test("the archived configuration loses URL credentials and keeps everything else, comments included")
    func configurationSecretsRemoved() throws {
        let file = try BackupArchiveTests.folder().appendingPathComponent("opine.toml")
        try """
            # the practice's configuration
            [paths]
            spool = "/var/spool/opine"
            state = "/var/lib/opine"
            [endpoints.desk]
            url = "https://desk:hunter2@desk.example.org/hooks?token=abc123"
            secret_file = "/run/credentials/opined.service/webhook_desk"
            [endpoints.plain]
            url = "https://plain.example.org/hooks"
            secret_env = "PLAIN_SECRET"
            """.write(to: file, atomically: true, encoding: .utf8)
        let copy = try OpineCore.Configuration.backupCopy(of: file.path)
        let text = String(decoding: copy.bytes, as: UTF8.self)
        #expect(copy.redactedEndpoints == ["desk"])
        #expect(!text.contains("hunter2") && !text.contains("abc123"))
        #expect(text.contains("url = \"https://desk.example.org/hooks\"") && text.contains("# the practice's configuration"))
        #expect(text.contains("https://plain.example.org/hooks") && text.contains("secret_file"))
    }

    @Test("an audit head reads and prints as SEQ:HASH")
    func auditHeadText() {
        let hash = String(repeating: "ab", count: 32)
        #expect(AuditHead(parsing: "42:" + hash.uppercased()) == AuditHead(seq: 42, hash: hash))
        #expect(AuditHead(seq: 42, hash: hash).description == "42:" + hash)
        for bad in ["42", "x:" + hash, "-1:" + hash, "42:abc", "42:" + hash + ":1"] { #expect(AuditHead(parsing: bad) == nil) }
    }
}
