#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The service's small state (drafts, submissions' status) as one JSON file per item, each replaced whole by a synced
/// write and a rename, so a crash leaves the old file or the new one, never half of one; uploads' descriptions as
/// lines appended to their draft's log.
/// Files are 0600: they may hold a patient's answers until the bundle is made.
enum StateFiles {
    /// Why a state file could not be written or read; says which file and what the system said.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `value` as JSON to `path` atomically and durably.
    static func write(_ value: some Encodable, to path: String) throws {
        try writeBytes(Array(try encoder().encode(value)), to: path)
    }

    /// Writes `bytes` to `path` atomically and durably (a temporary name beside it, fsync, rename, fsync the folder).
    static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create", temporary) }
        guard writeAll(bytes, to: fd) else {
            let problem = failure("write", temporary)
            close(fd)
            unlink(temporary)
            throw problem
        }
        guard fsync(fd) == 0 else {
            let problem = failure("fsync", temporary)
            close(fd)
            unlink(temporary)
            throw problem
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let problem = failure("rename", temporary)
            unlink(temporary)
            throw problem
        }
        try syncFolder((path as NSString).deletingLastPathComponent)
    }

    /// Appends `value` as one line of JSON to `path` (made 0600 when missing), not synced: for descriptions a crash
    /// may lose. A write cut short is taken back, and a last line a crash left without its newline gets one first,
    /// so every line stands alone: a reader skips a broken one and loses nothing else.
    static func appendLine(_ value: some Encodable, to path: String) throws {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat", path) }
        var last: UInt8 = 0x0A
        if info.st_size > 0, pread(fd, &last, 1, info.st_size - 1) != 1 { throw failure("read", path) }
        let line = (last == 0x0A ? [] : [0x0A]) + (try jsonLines([value]))
        guard writeAll(line, to: fd) else {
            let problem = failure("write", path)
            _ = ftruncate(fd, info.st_size)
            throw problem
        }
    }

    /// `values` as JSON, one per line, each line ended.
    static func jsonLines<Value: Encodable>(_ values: [Value]) throws -> [UInt8] {
        let encoder = encoder()
        return try values.flatMap { Array(try encoder.encode($0)) + [0x0A] }
    }

    /// Writes all of `bytes` to `fd`; false (errno set) when the file system takes no more.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            done += written
        }
        return true
    }

    /// Decodes one state file's or log line's JSON; nil when it is not what this version writes.
    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) -> Value? {
        try? decoder().decode(type, from: data)
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    private static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Reads and decodes the JSON at `path`; nil when there is no such file.
    static func read<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if errno == ENOENT || !FileManager.default.fileExists(atPath: path) { return nil }
            throw failure("read", path)
        }
        do { return try decoder().decode(type, from: data) } catch {
            throw Failure(description: "\(path): not a state file this version can read (\(error)); move it aside")
        }
    }

    /// Makes a folder (and its parents) with mode 0700 when missing.
    static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(description: "\(path): cannot be created (\(error.localizedDescription)); check the service's permissions")
        }
    }

    /// fsyncs a folder, so a rename in it survives a crash of the machine.
    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    private static func failure(_ operation: String, _ path: String) -> Failure {
        Failure(description: "\(path): \(operation) failed (\(String(cString: strerror(errno))))")
    }
}
