#if canImport(Glibc)
import Glibc
#endif
import OpineCore

/// One walker for a directory upload, used by readiness (is it complete, has it gone quiet?) and by the reader (what
/// does it hold?): every regular file with its size, the latest change, and the first entry that makes the bundle
/// unacceptable.
struct BundleTree {
    /// How a walk treats an entry it must refuse.
    enum Mode {
        /// The reader's walk: stop at the first refusal, which intake reports.
        case strict
        /// Readiness's walk: note the first refusal and go on, so the rest of the bundle is still seen (an upload
        /// being written may hold a temporary file that is gone by the time it is complete). A tree too large to
        /// judge cheaply stops the walk and sets `exhausted`.
        case lenient
        /// `opine validate`'s walk: note every refusal and go on, so each problem is reported with its entry.
        case collect
    }

    var files: [String: Int64] = [:]
    /// Entries a lenient walk found to be symbolic links, FIFOs, sockets or devices: readiness refuses an upload at
    /// once when its manifest lists one.
    var special = Set<String>()
    /// Latest change time (see `FileOperations.lastChange`) of the root and every entry walked.
    var lastChange: Double
    /// The first unsafe name, special file, link, name collision or excess of files; nil when all is well.
    var refusal: Rejection?
    /// Every refusal with the entry at fault, in the order found (a strict walk stops at the first).
    var refusals: [(rejection: Rejection, entry: String?)] = []
    /// A lenient walk gave up: more entries than `maxFiles * 2 + 16`.
    var exhausted = false

    /// Walks beneath `root`, whose own `stat` is `info`. An I/O failure is thrown: it says nothing about the upload.
    static func walk(_ root: Int32, info: stat, limits: IntakeSettings, mode: Mode) throws(IOFailure) -> BundleTree {
        var walker = Walker(limits: limits, mode: mode, tree: BundleTree(lastChange: FileOperations.lastChange(info)))
        try walker.walk(root, prefix: "")
        return walker.tree
    }

    /// Counts a link or device like any entry, so a bundle listing it is judged, and remembers what it is.
    fileprivate mutating func noteSpecial(_ path: String, _ info: stat) {
        files[path] = Int64(info.st_size)
        special.insert(path)
    }

    /// What identifies the manifest file as read: a take reuses readiness's bytes only while this is unchanged.
    struct ManifestStamp: Equatable {
        var inode: UInt64
        var size: Int64
        var change: Double
    }

    /// The manifest's stamp, or nil when there is no regular manifest at the top of the tree.
    static func manifestStamp(_ root: Int32) -> ManifestStamp? {
        var info = stat()
        guard fstatat(root, Manifest.fileName, &info, AT_SYMLINK_NOFOLLOW) == 0, FileOperations.isRegular(info) else { return nil }
        return ManifestStamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), change: FileOperations.lastChange(info))
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
    let mode: BundleTree.Mode
    var tree: BundleTree
    var seen = Set<String>()
    /// Entries a lenient walk may still look at, so a hostile tree costs readiness a bounded walk.
    lazy var budget = limits.maxFiles * 2 + 16

    init(limits: IntakeSettings, mode: BundleTree.Mode, tree: BundleTree) {
        self.limits = limits
        self.mode = mode
        self.tree = tree
    }

    /// Whether the walk goes on: a strict walk stops at its refusal, a lenient one when its budget is spent.
    private var going: Bool {
        switch mode {
        case .strict: tree.refusal == nil
        case .lenient: !tree.exhausted
        case .collect: true
        }
    }

    mutating func walk(_ directory: Int32, prefix: String) throws(IOFailure) {
        for raw in try FileOperations.listDirectoryRaw(directory, display: "bundle") where going {
            guard let name = String(validating: raw, as: UTF8.self) else {
                refuse(.unsafePath, "an entry under \(prefix.isEmpty ? "the bundle" : prefix.escapedForDisplay) has a name that is not valid UTF-8")
                continue
            }
            let path = prefix + name
            if let problem = PathRules.problem(with: path) {
                refuse(.unsafePath, "bundle entry \(path.escapedForDisplay) \(problem)", entry: path)
            } else if !seen.insert(PathRules.collisionKey(path)).inserted {
                refuse(.duplicateName, "bundle entry \(path.escapedForDisplay) has the same name as another entry (names are compared ignoring case and Unicode normalization)", entry: path)
            }
            guard going else { return }
            if mode == .lenient {
                budget -= 1
                guard budget > 0 else { return tree.exhausted = true }
            }
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
            if info.st_nlink != 1 { refuse(.specialFile, "bundle entry \(path.escapedForDisplay) is a hard link; upload plain copies", entry: path) }
            tree.files[path] = Int64(info.st_size)
            if tree.files.count > limits.maxFiles + 1 { refuse(.limitExceeded, "the bundle holds more than \(limits.maxFiles) files") }
        case S_IFLNK:
            refuse(.specialFile, "bundle entry \(path.escapedForDisplay) is a symbolic link; upload plain files", entry: path)
            // Readiness counts it like any entry, so a bundle listing it is judged (and refused) once quiet.
            if mode == .lenient { tree.noteSpecial(path, info) }
        default:
            refuse(.specialFile, "bundle entry \(path.escapedForDisplay) is a FIFO, socket or device; upload plain files", entry: path)
            if mode == .lenient { tree.noteSpecial(path, info) }
        }
    }

    private mutating func refuse(_ code: Rejection.Code, _ message: String, entry: String? = nil) {
        let rejection = Rejection(code, message, entry: entry)
        if tree.refusal == nil { tree.refusal = rejection }
        // The file limit is said once, not for every file past it.
        if mode == .collect, code != .limitExceeded || !tree.refusals.contains(where: { $0.rejection.code == .limitExceeded }) {
            tree.refusals.append((rejection, entry))
        }
    }
}
