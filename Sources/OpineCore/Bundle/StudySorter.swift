/// Sorts the files of a study folder into what a bundle keeps and what it leaves out, as `opine pack` surveys it: the
/// bytes decide first (a file with `DICM` at byte 128 is an image wherever it is and whatever its name), the names
/// (`Litter`) only what is not DICOM, and the limits what would be kept. A value: the survey reads, the sorter
/// decides, so a page and `opine pack` sort alike (docs/bundle-format.md, "Sending from an MRI CD").
public struct StudySorter: Sendable {
    /// What becomes of one file.
    public enum Action: Sendable, Equatable {
        /// Listed with this kind and type, once its whole bytes pass the check (a non-DICOM file) and `admit` takes
        /// its path.
        case keep(FileKind, MediaType)
        /// Left out, named with its reason.
        case leaveOut(LitterReason)
        /// Left out with the folder it is in, which is named once for all it leaves out.
        case withFolder
    }

    /// How many leading bytes tell whether a file is DICOM: the preamble and `DICM`. Enough for a file a name rule
    /// would leave out; a DICOM file's meta header is then read with `StudyContent.headBytes`.
    public static let markBytes = 132

    /// Files larger than this (`intake.max_file_bytes`) are left out when they are not images.
    public let maxFileBytes: Int64
    /// Each kept path, and each folder above one, by its collision key, so two names opined would take for one are
    /// caught before copying.
    private var kept: [String: String] = [:]

    /// A sorter holding kept files to `maxFileBytes`.
    public init(maxFileBytes: Int64) {
        self.maxFileBytes = maxFileBytes
    }

    /// Whether `head` (at least `markBytes` long to tell) starts like a DICOM file.
    public static func isDICOM(_ head: [UInt8]) -> Bool {
        if case .listed(_, .dicom) = StudyContent.classify(head: head, path: "") { return true }
        return false
    }

    /// Sorts the file at `path` from its first bytes (`StudyContent.headBytes` of them, or `markBytes` when a name
    /// rule would leave it out and it is not DICOM) and its size. `folder` is the reason of the left-out folder it is
    /// in, if any. An image is kept wherever it is (a DICOMDIR, the CD's index, is `other` and held to the size limit
    /// like the others); what is not DICOM goes by its folder's and its own name, then its bytes and size.
    public func sort(_ path: String, head: [UInt8], size: Int64, folder: LitterReason?) -> Action {
        let verdict = StudyContent.classify(head: head, path: path)
        if case .listed(let kind, .dicom) = verdict {
            if ContentSniffer.check(head, as: .dicom) != nil { return .leaveOut(.damaged) }
            return kind == .other && size > maxFileBytes ? .leaveOut(.tooLarge) : .keep(kind, .dicom)
        }
        if folder != nil { return .withFolder }
        if let reason = Litter.reason(for: path, isFolder: false) { return .leaveOut(reason) }
        guard case .listed(let kind, let type) = verdict else { return .leaveOut(.unsupportedType) }
        return size > maxFileBytes ? .leaveOut(.tooLarge) : .keep(kind, type)
    }

    /// Why a kept non-DICOM file whose whole bytes fail the check of `type` is left out: text that is not UTF-8
    /// throughout is no text at all; a PDF, JPEG or PNG that fails is damaged.
    public static func failed(_ type: MediaType) -> LitterReason {
        type == .text ? .unsupportedType : .damaged
    }

    /// Takes `path` (shown as it is when `validName` is false: its name is not UTF-8) into the bundle, or says why the
    /// pack must stop: a name that is not UTF-8, the name of the bundle's own manifest, a path opined refuses, or a
    /// name opined would take for one already kept, its folders' names included (`DICOM/IM1` and `dicom/IM2` clash
    /// at `DICOM`). Each is for the person packing to rename.
    public mutating func admit(_ path: String, validName: Bool = true) -> String? {
        guard validName else { return "a name is not valid UTF-8: \(path); rename it and pack again" }
        let shown = path.escapedForDisplay
        if PathRules.collisionKey(path) == Manifest.fileName {
            return "\(shown) has the name of the bundle's manifest, which the pack writes itself; rename it and pack again"
        }
        if let problem = PathRules.problem(with: path) { return "\(shown) \(problem), which opined refuses; rename or move it and pack again" }
        var names = [String]()
        for component in path.split(separator: "/") { names.append(names.last.map { $0 + "/" + component } ?? String(component)) }
        for name in names {
            let key = PathRules.collisionKey(name)
            if let other = kept[key], other != name {
                return "\(other.escapedForDisplay) and \(name.escapedForDisplay) are one name to opined, which compares names "
                    + "ignoring case and Unicode normalization; rename one of them and pack again"
            }
        }
        for name in names { kept[PathRules.collisionKey(name)] = name }
        return nil
    }

    /// Forgets a kept path (the report, moved to its own entry).
    public mutating func release(_ path: String) {
        if kept[PathRules.collisionKey(path)] == path { kept[PathRules.collisionKey(path)] = nil }
    }
}
