#if canImport(Glibc)
import Glibc
#endif
import OpineCore

/// One walk of a directory upload, shared by readiness (is it complete, has it gone quiet?) and the reader (what does
/// it hold?), so a take walks the tree once: every regular file with its size, the latest change, and the first entry
/// that makes the bundle unacceptable (the walk stops there).
struct BundleTree {
    var files: [String: Int64] = [:]
    /// Latest change time (see `FileOperations.lastChange`) of the root and every entry walked.
    var lastChange: Double
    /// The first unsafe name, special file, link, name collision or excess of entries; nil when all is well.
    var refusal: Rejection?

    /// Walks beneath `root`, whose own `stat` is `info`. An I/O failure is thrown: it says nothing about the upload.
    static func walk(_ root: Int32, info: stat, limits: IntakeSettings) throws(IOFailure) -> BundleTree {
        var walker = Walker(limits: limits, tree: BundleTree(lastChange: FileOperations.lastChange(info)))
        try walker.walk(root, prefix: "")
        return walker.tree
    }

    /// The manifest at the top of the tree, read without following a link or blocking on a FIFO.
    static func readManifest(_ root: Int32) throws -> FileOperations.SmallFile {
        guard faccessat(root, Manifest.fileName, F_OK, AT_SYMLINK_NOFOLLOW) == 0 else { return .missing }
        let fd = try FileOperations.openBeneath(root, Manifest.fileName, display: Manifest.fileName)
        defer { close(fd) }
        return try FileOperations.readSmallFile(fd: fd, limit: Manifest.maxBytes, display: Manifest.fileName)
    }
}

/// The walk's running state: what it found so far and how many entries it may still look at.
private struct Walker {
    let limits: IntakeSettings
    var tree: BundleTree
    var seen = Set<String>()
    /// Entries (files and folders) it may still look at, so a hostile tree costs a bounded walk.
    lazy var budget = limits.maxFiles * 2 + 16

    init(limits: IntakeSettings, tree: BundleTree) {
        self.limits = limits
        self.tree = tree
    }

    mutating func walk(_ directory: Int32, prefix: String) throws(IOFailure) {
        for raw in try FileOperations.listDirectoryRaw(directory, display: "bundle") where tree.refusal == nil {
            guard let name = String(validating: raw, as: UTF8.self) else {
                return refuse(.unsafePath, "an entry under \(prefix.isEmpty ? "the bundle" : prefix.escapedForDisplay) has a name that is not valid UTF-8")
            }
            let path = prefix + name
            if let problem = PathRules.problem(with: path) { return refuse(.unsafePath, "bundle entry \(path.escapedForDisplay) \(problem)") }
            guard seen.insert(PathRules.collisionKey(path)).inserted else {
                return refuse(.duplicateName, "bundle entry \(path.escapedForDisplay) has the same name as another entry (names are compared ignoring case and Unicode normalization)")
            }
            budget -= 1
            guard budget > 0 else { return refuse(.limitExceeded, "the bundle holds more than \(limits.maxFiles) files, or more folders than files") }
            var info = stat()
            guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw FileOperations.fail("stat", path) }
            tree.lastChange = max(tree.lastChange, FileOperations.lastChange(info))
            try visit(directory, name: name, path: path, info: info)
        }
    }

    private mutating func visit(_ directory: Int32, name: String, path: String, info: stat) throws(IOFailure) {
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { throw FileOperations.fail("open", path) }
            defer { close(child) }
            try walk(child, prefix: path + "/")
        case S_IFREG:
            guard info.st_nlink == 1 else { return refuse(.specialFile, "bundle entry \(path.escapedForDisplay) is a hard link; upload plain copies") }
            tree.files[path] = Int64(info.st_size)
            guard tree.files.count <= limits.maxFiles + 1 else { return refuse(.limitExceeded, "the bundle holds more than \(limits.maxFiles) files") }
        case S_IFLNK:
            refuse(.specialFile, "bundle entry \(path.escapedForDisplay) is a symbolic link; upload plain files")
        default:
            refuse(.specialFile, "bundle entry \(path.escapedForDisplay) is a FIFO, socket or device; upload plain files")
        }
    }

    private mutating func refuse(_ code: Rejection.Code, _ message: String) {
        if tree.refusal == nil { tree.refusal = Rejection(code, message) }
    }
}
