#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// One file of the folder that goes into the bundle.
public struct PackedFile: Sendable, Equatable {
    /// Its path within the bundle (and within the folder, except a report from outside it).
    public var path: String
    /// Where it is read from.
    public var source: String
    /// How the manifest lists it.
    public var kind: FileKind
    /// Its media type, judged from its bytes.
    public var mediaType: MediaType
    /// Its size when surveyed; the copy checks it again.
    public var size: Int64
}

/// A file or folder left out of the bundle, and why.
public struct LeftOut: Sendable, Equatable, Codable {
    /// Its path within the folder (a name that is not UTF-8 shows each such byte as `\xFF`); a folder's ends in `/`
    /// and stands for all it leaves out: an image in it is kept all the same.
    public var path: String
    /// Why it is not part of the study.
    public var reason: LitterReason

    /// `path` left out for `reason`.
    public init(path: String, reason: LitterReason) {
        self.path = path
        self.reason = reason
    }
}

/// What a study folder holds, sorted by `StudySorter` into what is kept and what is left out: the bytes first (DICOM
/// is kept wherever it is, whatever its name), then the names (`Litter`), then the limits. Reads each file's first KiB
/// (only its first 132 bytes when a name rule would leave it out, unless they show DICOM); a non-DICOM file kept (a
/// report, a picture, a note: few and small) is read whole so a damaged one is left out rather than make opined refuse
/// the bundle. Names are listed and opened as bytes, so one that is not UTF-8 is named, never mistaken.
struct FolderSurvey {
    var kept: [PackedFile] = []
    var leftOut: [LeftOut] = []
    private var sorter: StudySorter
    /// How many entries have been left out with a left-out folder, to tell whether the folder is named at all.
    private var leftWithFolder = 0

    /// One folder being walked: open, and what is known of it.
    private struct Place {
        /// The open folder.
        var fd: Int32
        /// Its path on disk, as given (what a kept file is read from; meaningless when `validNames` is false).
        var source: String
        /// Its path within the study folder, `/`-terminated (empty at the top).
        var relative: String
        /// Whether every name from the top down to it is UTF-8.
        var validNames: Bool
        /// The reason of the left-out folder it is in, if any.
        var folder: LitterReason?
    }

    private init(maxFileBytes: Int64) {
        sorter = StudySorter(maxFileBytes: maxFileBytes)
    }

    /// Surveys `root`, a folder, keeping what is not an image to `maxFileBytes`. A symbolic link or special file
    /// stops it (its target is not the study's) unless a name rule or its folder leaves it out; none is followed.
    static func survey(_ root: String, maxFileBytes: Int64) throws(PackError) -> FolderSurvey {
        var survey = FolderSurvey(maxFileBytes: maxFileBytes)
        let fd = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PackError(.io, "\(root.escapedForDisplay): cannot be listed (\(String(cString: strerror(errno)))); check its permissions")
        }
        defer { close(fd) }
        try survey.walk(Place(fd: fd, source: root, relative: "", validNames: true, folder: nil))
        return survey
    }

    private mutating func walk(_ place: Place) throws(PackError) {
        let shownFolder = place.relative.isEmpty ? place.source.escapedForDisplay : place.relative.escapedForDisplay
        for raw in try RawNames.list(place.fd, display: shownFolder) {
            let valid = String(validating: raw, as: UTF8.self)
            let name = valid ?? RawNames.display(raw)
            let entry = Entry(raw: raw, name: name, path: place.relative + name, validName: place.validNames && valid != nil)
            let info = try RawNames.status(raw, in: place.fd, display: entry.shown)
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try enter(entry, in: place)
            case S_IFREG: try visitFile(entry, in: place, size: Int64(info.st_size))
            default: try visitSpecial(entry, in: place)
            }
        }
    }

    /// One name of a folder being walked.
    private struct Entry {
        var raw: [UInt8]
        /// The name, or its escaped display when it is not UTF-8.
        var name: String
        /// Its path within the study folder.
        var path: String
        /// Whether this name and every folder's above it are UTF-8.
        var validName: Bool
        /// How a message shows it.
        var shown: String { validName ? path.escapedForDisplay : path }
    }

    /// Walks a folder. A folder a name rule leaves out is walked all the same, for its images; it is named once (with
    /// its reason) when it left anything out. An operating system's own folder (its trash, indexes and metadata:
    /// what it holds was deleted or is a copy the system keeps) is left out whole without being opened.
    private mutating func enter(_ entry: Entry, in place: Place) throws(PackError) {
        let reason = Litter.reason(for: entry.path, isFolder: true)
        // Inside a left-out folder, only the outermost is named.
        let own = place.folder == nil ? reason : nil
        if reason == .operatingSystem {
            if place.folder == nil { leftOut.append(LeftOut(path: entry.path + "/", reason: .operatingSystem)) } else { leftWithFolder += 1 }
            return
        }
        let fd = try RawNames.openFolder(entry.raw, in: place.fd, display: entry.shown)
        defer { close(fd) }
        let child = Place(
            fd: fd, source: place.source + "/" + entry.name, relative: entry.path + "/", validNames: entry.validName,
            folder: place.folder ?? own)
        guard place.folder == nil, let own else { return try walk(child) }
        let (position, before) = (leftOut.count, leftWithFolder)
        try walk(child)
        if leftWithFolder > before { leftOut.insert(LeftOut(path: entry.path + "/", reason: own), at: position) }
    }

    private mutating func visitFile(_ entry: Entry, in place: Place, size: Int64) throws(PackError) {
        let named = place.folder != nil || Litter.reason(for: entry.path, isFolder: false) != nil
        let fd = try RawNames.open(entry.raw, in: place.fd, display: entry.shown)
        defer { close(fd) }
        // What a name rule would leave out is read only as far as the DICOM mark, unless it is there.
        var head = try FileReading.head(fd, count: named ? StudySorter.markBytes : StudyContent.headBytes, display: entry.shown)
        if named, StudySorter.isDICOM(head) { head = try FileReading.head(fd, count: StudyContent.headBytes, display: entry.shown) }
        switch sorter.sort(entry.path, head: head, size: size, folder: place.folder) {
        case .withFolder:
            leftWithFolder += 1
        case .leaveOut(let reason):
            leftOut.append(LeftOut(path: entry.path, reason: reason))
        case .keep(let kind, let type):
            // DICOM is judged on its meta header (within the first KiB); the few other files are read whole.
            if type != .dicom, !(try FileReading.passes(fd, as: type, display: entry.shown)) {
                return leftOut.append(LeftOut(path: entry.path, reason: StudySorter.failed(type)))
            }
            if let refusal = sorter.admit(entry.path, validName: entry.validName) { throw PackError(.invalid, refusal, refusal: .nameRefused(path: entry.path)) }
            kept.append(PackedFile(path: entry.path, source: place.source + "/" + entry.name, kind: kind, mediaType: type, size: size))
        }
    }

    /// A symbolic link, FIFO, socket or device: never followed or read. Left out with its folder or for its name's
    /// reason (a `desktop.ini` link is litter like the file), else it stops the pack, named.
    private mutating func visitSpecial(_ entry: Entry, in place: Place) throws(PackError) {
        if place.folder != nil { return leftWithFolder += 1 }
        if let reason = Litter.reason(for: entry.path, isFolder: false) { return leftOut.append(LeftOut(path: entry.path, reason: reason)) }
        throw PackError(.invalid, "\(entry.shown) is a symbolic link or special file; a bundle holds plain files only: copy the file it stands for into the folder, or remove it", refusal: .fileUnstable(path: entry.path))
    }
}

/// Streaming reads of a source file, one buffer at a time.
enum FileReading {
    static let chunkBytes = 1 << 20

    /// Opens `path` for reading without following a symbolic link.
    static func open(_ path: String) throws(PackError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw PackError(errno == ENOENT ? .noInput : .io, "\(path.escapedForDisplay): cannot be opened (\(String(cString: strerror(errno))))") }
        return fd
    }

    /// Calls `body` with each chunk of the file, in order, from one reused buffer; `display` (shown safely) names it.
    static func stream(_ fd: Int32, display: String, _ body: (UnsafeRawBufferPointer) throws(PackError) -> Void) throws(PackError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkBytes)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw PackError(.io, "\(display): read failed (\(String(cString: strerror(errno))))") }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The first `count` bytes of the file (fewer when it is shorter).
    static func head(_ path: String, count: Int) throws(PackError) -> [UInt8] {
        let fd = try open(path)
        defer { close(fd) }
        return try head(fd, count: count, display: path.escapedForDisplay)
    }

    /// The first `count` bytes of the open file (fewer when it is shorter); `display` names it in an error.
    static func head(_ fd: Int32, count: Int, display: String) throws(PackError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var read = 0
        repeat {
            read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        } while read < 0 && errno == EINTR
        guard read >= 0 else { throw PackError(.io, "\(display): read failed (\(String(cString: strerror(errno))))") }
        return Array(bytes.prefix(read))
    }

    /// Whether the whole file passes opined's check for `type`.
    static func passes(_ path: String, as type: MediaType) throws(PackError) -> Bool {
        let fd = try open(path)
        defer { close(fd) }
        return try passes(fd, as: type, display: path.escapedForDisplay)
    }

    /// Whether the whole open file, read from its start, passes opined's check for `type`.
    static func passes(_ fd: Int32, as type: MediaType, display: String) throws(PackError) -> Bool {
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw PackError(.io, "\(display): read failed (\(String(cString: strerror(errno))))") }
        var sniffer = ContentSniffer(mediaType: type)
        try stream(fd, display: display) { chunk in sniffer.consume(chunk) }
        return sniffer.finding() == nil
    }
}

extension FileReading {
    /// The file's own status (a link is not followed), or nil when there is nothing at `path`.
    static func lstat(_ path: String) -> stat? {
        var info = stat()
        return Glibc.lstat(path, &info) == 0 ? info : nil
    }
}

extension FolderSurvey {
    /// The file extension a report of each type gets when it comes from outside the folder.
    static let reportExtensions: [MediaType: String] = [.pdf: "pdf", .jpeg: "jpg", .png: "png", .text: "txt"]

    /// Lists `report` as the radiology report: at its own path when it is inside `folder` (even if the litter
    /// rules would leave it out), else at the bundle's top as `report.pdf` (`.jpg`, `.png`, `.txt`).
    mutating func addReport(_ report: String, folder: String) throws(PackError) {
        guard let info = FileReading.lstat(report) else {
            throw PackError(.noInput, "\(report.escapedForDisplay): no such file; give the radiology report's path with --report")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw PackError(.invalid, "\(report.escapedForDisplay) is not a plain file; give the radiology report itself with --report", refusal: .reportUnreadable)
        }
        let head = try FileReading.head(report, count: StudyContent.headBytes)
        guard let type = StudyContent.signatureType(head), try FileReading.passes(report, as: type) else {
            throw PackError(.invalid, "\(report.escapedForDisplay) is not a readable PDF, JPEG, PNG or UTF-8 text file (or is password-protected); give the report in one of those forms", refusal: .reportUnreadable)
        }
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path + "/"
        let resolved = URL(fileURLWithPath: report).resolvingSymlinksInPath().path
        var path: String
        if resolved.hasPrefix(root) {
            path = String(resolved.dropFirst(root.count))
            kept.removeAll { $0.path == path }
            leftOut.removeAll { $0.path == path }
            sorter.release(path)
        } else {
            let taken = Set(kept.map { PathRules.collisionKey($0.path) })
            path = "report." + Self.reportExtensions[type, default: "pdf"]
            if taken.contains(PathRules.collisionKey(path)) { path = "radiology-" + path }
        }
        if let refusal = sorter.admit(path) { throw PackError(.invalid, "the report: \(refusal)", refusal: .nameRefused(path: path)) }
        kept.append(PackedFile(path: path, source: report, kind: .radiologyReport, mediaType: type, size: Int64(info.st_size)))
    }
}
