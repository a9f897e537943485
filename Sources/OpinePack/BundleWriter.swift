#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import OpineCore
import ZIPFoundation

/// Where a packed bundle's files go while it is made: a hidden name beside the output, which opined never looks at,
/// renamed to the output's name only when the manifest, written last, is in place.
protocol BundleWriter {
    /// Adds one file of `size` bytes whose chunks `fill` produces, in order; `fill` returns an empty chunk at the end.
    /// `source` is the file the chunks are read from, when there is one (a writer that links files uses it).
    func add(_ path: String, source: String?, size: Int64, fill: () throws(PackError) -> [UInt8]) throws(PackError)
    /// Makes everything written durable and closes it; the caller then renames `temporary` into place.
    func finish() throws(PackError)
    /// The hidden name being written.
    var temporary: String { get }
}

/// A directory bundle, each file synced as it is closed. Folders and files take the modes the umask leaves of 0777
/// and 0666, as `mkdir` and `cp` do: opined (in the uploader's group) must be able to move a bundle made into the drop
/// directory away and delete it, which needs write access to its folders; `opine-upload` runs with `UMask=0007`.
final class DirectoryWriter: BundleWriter {
    let temporary: String
    private let linksFiles: Bool
    private var folders = Set<String>()

    /// With `linksFiles`, a file with a source is read through `fill` (hashed and checked) and then hard-linked in,
    /// group-readable (0640) for opined; nothing is copied or synced but the folders.
    init(temporary: String, linksFiles: Bool = false) throws(PackError) {
        self.temporary = temporary
        self.linksFiles = linksFiles
        try makeFolder(temporary)
    }

    private func makeFolder(_ path: String) throws(PackError) {
        guard mkdir(path, 0o777) == 0 || errno == EEXIST else {
            throw PackError(.cannotCreate, "\(path.escapedForDisplay): cannot be created (\(String(cString: strerror(errno))))")
        }
        folders.insert(path)
    }

    func add(_ path: String, source: String?, size: Int64, fill: () throws(PackError) -> [UInt8]) throws(PackError) {
        var parent = temporary
        for component in path.split(separator: "/").dropLast() {
            parent += "/" + component
            if !folders.contains(parent) { try makeFolder(parent) }
        }
        let target = temporary + "/" + path
        if linksFiles, let source {
            while try !fill().isEmpty {}
            guard link(source, target) == 0, chmod(target, 0o640) == 0 else {
                throw PackError(.cannotCreate, "\(target.escapedForDisplay): cannot be linked (\(String(cString: strerror(errno))))")
            }
            return
        }
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw PackError(.cannotCreate, "\(target.escapedForDisplay): cannot be created (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        while true {
            let chunk = try fill()
            if chunk.isEmpty { break }
            var done = 0
            while done < chunk.count {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + done, chunk.count - done) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { throw PackError(.io, "\(target.escapedForDisplay): write failed (\(String(cString: strerror(errno))))") }
                done += written
            }
        }
        guard fsync(fd) == 0 else { throw PackError(.io, "\(target.escapedForDisplay): fsync failed (\(String(cString: strerror(errno))))") }
    }

    func finish() throws(PackError) {
        if linksFiles {
            // The linked bytes may still be in the page cache: one syncfs commits them, the links and the folders
            // (the service makes no file durable on its own before this point).
            let fd = open(temporary, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw PackError(.io, "\(temporary.escapedForDisplay): cannot be opened to sync it") }
            defer { close(fd) }
            guard syncfs(fd) == 0 else { throw PackError(.io, "\(temporary.escapedForDisplay): syncfs failed (\(String(cString: strerror(errno))))") }
            return
        }
        for folder in folders.sorted(by: >) { try Durability.syncFolder(folder) }
    }
}

/// A zip bundle through ZIPFoundation: each file deflated as its chunks arrive, never whole in memory.
final class ZipWriter: BundleWriter {
    let temporary: String
    private let archive: Archive

    init(temporary: String) throws(PackError) {
        self.temporary = temporary
        do { archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create) } catch {
            throw PackError(.cannotCreate, "\(temporary.escapedForDisplay): cannot be created (\(error))")
        }
    }

    func add(_ path: String, source: String?, size: Int64, fill: () throws(PackError) -> [UInt8]) throws(PackError) {
        do {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: size, compressionMethod: .deflate, bufferSize: FileReading.chunkBytes
            ) { _, _ in Data(try fill()) }
        } catch let error as PackError {
            throw error
        } catch {
            throw PackError(.io, "\(temporary.escapedForDisplay): writing \(path.escapedForDisplay) failed (\(error))")
        }
    }

    func finish() throws(PackError) {
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PackError(.io, "\(temporary.escapedForDisplay): cannot be reopened to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PackError(.io, "\(temporary.escapedForDisplay): fsync failed (\(String(cString: strerror(errno))))") }
    }
}

/// fsync of folders, so renames and new entries survive a crash.
enum Durability {
    static func syncFolder(_ path: String) throws(PackError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw PackError(.io, "\(path.escapedForDisplay): cannot be opened to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PackError(.io, "\(path.escapedForDisplay): fsync failed (\(String(cString: strerror(errno))))") }
    }
}
