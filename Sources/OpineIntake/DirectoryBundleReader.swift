#if canImport(Glibc)
import Glibc
#endif
import OpineCore

/// A directory upload: its tree walked once (`BundleTree`), its files opened beneath its root, never through a link.
final class DirectoryBundleReader: BundleReader {
    private let root: Int32
    private let limits: IntakeSettings
    /// One buffer for every read of this bundle, so memory stays flat whatever the file sizes.
    private let allocation = ChunkBuffers.shared.take()
    private var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: allocation[0..<copyChunkBytes]) }
    /// Files are copied in manifest order, so consecutive ones usually share a folder: it stays open.
    private var folders = FileOperations.FolderCache()

    /// The manifest readiness already read and parsed, if any: used while the manifest file is unchanged.
    private let looked: UploadLook.Directory?

    init(path: String, limits: IntakeSettings, looked: UploadLook.Directory? = nil) throws(IOFailure) {
        root = try FileOperations.openDirectory(path)
        self.limits = limits
        self.looked = looked
    }

    deinit {
        close(root)
        folders.close()
        ChunkBuffers.shared.give(allocation)
    }

    func inventory() throws -> [String: Int64] {
        let tree = try BundleTree.walk(root, info: try FileOperations.stat(fd: root, display: "bundle"), limits: limits, mode: .strict)
        if let refusal = tree.refusal { throw refusal }
        return tree.files
    }

    func collectInventory() throws -> (files: [String: Int64], problems: [(problem: BundleProblem, path: String?)]) {
        let tree = try BundleTree.walk(root, info: try FileOperations.stat(fd: root, display: "bundle"), limits: limits, mode: .collect)
        return (tree.files, tree.refusals.map { (BundleProblem($0.rejection), $0.entry) })
    }

    func manifestBytes() throws -> [UInt8] {
        if let looked, BundleTree.manifestStamp(root) == looked.stamp {
            return looked.manifest
        }
        switch try BundleTree.readManifest(root) {
        case .bytes(let data):
            return data
        case .missing:
            throw Rejection(.manifestMissing, "the bundle has no manifest.json at its top level")
        case .tooLarge:
            throw Rejection(.manifestTooLarge, "manifest.json is larger than \(Manifest.maxBytes >> 20) MiB")
        case .notRegular:
            throw Rejection(.specialFile, "manifest.json is not a regular file")
        }
    }

    func copy(_ path: String, size: Int64, into sink: StagedFile) throws {
        let fd = try FileOperations.openBeneath(root, path, display: path, folders: &folders)
        defer { close(fd) }
        let info = try FileOperations.stat(fd: fd, display: path)
        guard FileOperations.isRegular(info), info.st_nlink == 1 else {
            throw Rejection(.specialFile, "bundle entry \(path.escapedForDisplay) changed into something other than a plain file while it was read")
        }
        guard Int64(info.st_size) == size else {
            throw Rejection(.sizeMismatch, "bundle entry \(path.escapedForDisplay) is \(info.st_size) bytes, not the \(size) the manifest lists")
        }
        while true {
            let count = try FileOperations.read(fd, into: buffer, display: path)
            if count == 0 { break }
            guard try sink.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) else {
                throw Rejection(.sizeMismatch, "bundle entry \(path.escapedForDisplay) grew while it was read")
            }
        }
        guard sink.bytes == size else {
            throw Rejection(.sizeMismatch, "bundle entry \(path.escapedForDisplay) shrank while it was read")
        }
    }
}
