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
    /// Its path within the folder; a folder's ends in `/` and is left out whole.
    public var path: String
    /// Why it is not part of the study.
    public var reason: LitterReason

    /// `path` left out for `reason`.
    public init(path: String, reason: LitterReason) {
        self.path = path
        self.reason = reason
    }
}

/// What a study folder holds, sorted by the litter rules (`Litter`, `StudyContent`) into what is kept and what is
/// left out. Reads each file's first KiB; a non-DICOM file (a report, a picture, a note: few and small) is read whole
/// so a damaged one is left out rather than make opined refuse the bundle.
struct FolderSurvey {
    var kept: [PackedFile] = []
    var leftOut: [LeftOut] = []

    /// Surveys `root`, a folder; symbolic links and special files are refused, since their target is not the study's.
    static func survey(_ root: String) throws(PackError) -> FolderSurvey {
        var survey = FolderSurvey()
        try survey.walk(root, relative: "")
        return survey
    }

    private mutating func walk(_ folder: String, relative: String) throws(PackError) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted() } catch {
            throw PackError(.io, "\(folder.escapedForDisplay): cannot be listed (\(error.localizedDescription)); check its permissions")
        }
        for name in names {
            let path = relative + name
            let source = folder + "/" + name
            var info = stat()
            guard lstat(source, &info) == 0 else { throw PackError(.io, "\(source.escapedForDisplay): cannot be read (\(String(cString: strerror(errno))))") }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if let reason = Litter.reason(for: path, isFolder: true) {
                    leftOut.append(LeftOut(path: path + "/", reason: reason))
                } else {
                    try walk(source, relative: path + "/")
                }
            case S_IFREG:
                try visitFile(source, path: path, size: Int64(info.st_size))
            default:
                if Litter.reason(for: path, isFolder: false) != nil { continue }
                throw PackError(.invalid, "\(source.escapedForDisplay) is a symbolic link or special file; a bundle holds plain files only: copy the file it stands for into the folder, or remove it")
            }
        }
    }

    private mutating func visitFile(_ source: String, path: String, size: Int64) throws(PackError) {
        if let reason = Litter.reason(for: path, isFolder: false) {
            leftOut.append(LeftOut(path: path, reason: reason))
            return
        }
        if let problem = PathRules.problem(with: path) {
            throw PackError(.invalid, "\(path.escapedForDisplay) \(problem), which opined refuses; rename it and pack again")
        }
        let head = try FileReading.head(source, count: StudyContent.headBytes)
        switch StudyContent.classify(head: head, path: path) {
        case .unsupported:
            leftOut.append(LeftOut(path: path, reason: .unsupportedType))
        case .listed(let kind, let type):
            // DICOM is judged on its meta header (within the first KiB); the few other files are read whole.
            let sound = type == .dicom ? ContentSniffer.check(head, as: .dicom) == nil : try FileReading.passes(source, as: type)
            if sound {
                kept.append(PackedFile(path: path, source: source, kind: kind, mediaType: type, size: size))
            } else {
                leftOut.append(LeftOut(path: path, reason: type == .text ? .unsupportedType : .damaged))
            }
        }
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

    /// Calls `body` with each chunk of the file, in order, from one reused buffer.
    static func stream(_ fd: Int32, display: String, _ body: (UnsafeRawBufferPointer) throws(PackError) -> Void) throws(PackError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkBytes)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw PackError(.io, "\(display.escapedForDisplay): read failed (\(String(cString: strerror(errno))))") }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The first `count` bytes of the file (fewer when it is shorter).
    static func head(_ path: String, count: Int) throws(PackError) -> [UInt8] {
        let fd = try open(path)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        guard read >= 0 else { throw PackError(.io, "\(path.escapedForDisplay): read failed (\(String(cString: strerror(errno))))") }
        return Array(bytes.prefix(read))
    }

    /// Whether the whole file passes opined's check for `type`.
    static func passes(_ path: String, as type: MediaType) throws(PackError) -> Bool {
        let fd = try open(path)
        defer { close(fd) }
        var sniffer = ContentSniffer(mediaType: type)
        try stream(fd, display: path) { chunk in sniffer.consume(chunk) }
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
            throw PackError(.invalid, "\(report.escapedForDisplay) is not a plain file; give the radiology report itself with --report")
        }
        let head = try FileReading.head(report, count: StudyContent.headBytes)
        guard let type = StudyContent.signatureType(head), try FileReading.passes(report, as: type) else {
            throw PackError(.invalid, "\(report.escapedForDisplay) is not a readable PDF, JPEG, PNG or UTF-8 text file (or is password-protected); give the report in one of those forms")
        }
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path + "/"
        let resolved = URL(fileURLWithPath: report).resolvingSymlinksInPath().path
        var path: String
        if resolved.hasPrefix(root) {
            path = String(resolved.dropFirst(root.count))
            kept.removeAll { $0.path == path }
            leftOut.removeAll { $0.path == path }
        } else {
            let taken = Set(kept.map { PathRules.collisionKey($0.path) })
            path = "report." + Self.reportExtensions[type, default: "pdf"]
            if taken.contains(PathRules.collisionKey(path)) { path = "radiology-" + path }
        }
        if let problem = PathRules.problem(with: path) {
            throw PackError(.invalid, "the report's path \(path.escapedForDisplay) \(problem), which opined refuses; rename it and pack again")
        }
        kept.append(PackedFile(path: path, source: report, kind: .radiologyReport, mediaType: type, size: Int64(info.st_size)))
    }
}
