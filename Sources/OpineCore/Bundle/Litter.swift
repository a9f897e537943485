/// Why a file or folder found beside an MRI study is left out of the bundle made from it (docs/bundle-format.md,
/// "Sending from an MRI CD"). A closed set, so `opine pack` and the upload page say the same thing.
public enum LitterReason: String, Codable, Sendable, CaseIterable {
    /// Written by an operating system, not by the imaging centre: `.DS_Store`, `Thumbs.db`, `desktop.ini`,
    /// `__MACOSX/`, `._*`, `$RECYCLE.BIN/`, `System Volume Information/` and the like.
    case operatingSystem = "operating_system"
    /// Another hidden (`.`-prefixed) name: opined refuses hidden names, and a study never has them.
    case hidden
    /// The CD's viewer program and its folder: programs and libraries, Java archives, web pages, a viewer's folder.
    case viewerProgram = "viewer_program"
    /// The CD's autostart file (`autorun.inf`, `autorun.exe`, `autoplay.*`).
    case autorun
    /// A bundle's own file at the folder's top (`manifest.json`, `reason.json`): a re-packed bundle or refused
    /// upload gets a new manifest, and a refusal's reason is not part of the study.
    case bundleFile = "bundle_file"
    /// Bytes of none of the types a bundle may hold (DICOM, PDF, JPEG, PNG, UTF-8 text).
    case unsupportedType = "unsupported_type"
    /// A picture, PDF or note beside the images larger than opined takes a file (`intake.max_file_bytes`): left out
    /// rather than stop the pack. An image or the report that large stops it instead.
    case tooLarge = "too_large"
    /// Its bytes fail the check opined makes of its type (a DICOM file meta header cut short, a PDF without its end or
    /// with a password): opined would refuse the whole bundle for it.
    case damaged

    /// The reason in words, for `opine pack`'s text output and an upload page.
    public var sentence: String {
        switch self {
        case .operatingSystem: "operating-system litter, not part of the study"
        case .hidden: "a hidden file, not part of the study"
        case .viewerProgram: "the CD's viewer program, not part of the study"
        case .autorun: "the CD's autostart file, not part of the study"
        case .bundleFile: "a bundle's own file, not part of the study: the pack writes a new manifest"
        case .unsupportedType: "not DICOM, PDF, JPEG, PNG or text, so a bundle cannot hold it"
        case .tooLarge: "not an image, and larger than opined takes a file (intake.max_file_bytes)"
        case .damaged: "damaged or password-protected: opined would refuse the whole bundle for it"
        }
    }
}

/// The name rules that tell what on an MRI CD (or a folder copied from one, or a zip of it) is litter. Pure: it judges
/// a path's names. They apply only to what is not DICOM: `StudySorter` asks the bytes first, so an image is never
/// left out for its name or its folder's.
public enum Litter {
    /// Files an operating system leaves in folders, compared ignoring case.
    public static let systemFiles: Set<String> = [".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", ".localized"]
    /// Folders an operating system or an archiver adds, compared ignoring case.
    public static let systemFolders: Set<String> = [
        "__macosx", "$recycle.bin", "recycler", "system volume information", ".spotlight-v100", ".trashes", ".fseventsd",
        ".temporaryitems", ".documentrevisions-v100",
    ]
    /// File extensions of programs, libraries and the web pages of a CD's viewer, compared ignoring case.
    public static let viewerExtensions: Set<String> = [
        "exe", "dll", "msi", "jar", "bat", "cmd", "com", "ocx", "sys", "so", "dylib", "class", "htm", "html", "js",
        "css", "chm", "lnk",
    ]
    /// Folder names of the viewers CDs carry, compared ignoring case, spaces, `-` and `_`; any folder whose name
    /// has the word "viewer" (`DICOM Viewer`, `DicomViewer`, not `For reviewer`), and any `*.app` folder, counts as well.
    public static let viewerFolders: Set<String> = [
        "bin", "jre", "java", "program", "programs", "programfiles", "efilm", "efilmlite", "radiant", "microdicom", "dicomviewer",
        "osirix", "horos", "weasis", "onis", "sante", "synedra", "ezdicom", "inobitec", "philipsdicomviewer",
        "carestream", "vue", "impax", "autorun", "setup", "install", "installer",
    ]

    /// A bundle's own files, left out at the folder's top (compared as opined compares names, `PathRules.collisionKey`).
    public static let bundleFiles: Set<String> = [Manifest.fileName, "reason.json"]

    /// The reason `path` (relative, `/`-separated; a folder when `isFolder`) is left out when it is not DICOM, or nil
    /// when it may be part of the study. The rule is asked of each folder before its contents.
    public static func reason(for path: String, isFolder: Bool) -> LitterReason? {
        guard let name = path.split(separator: "/").last.map(String.init) else { return nil }
        let lower = name.lowercased()
        if isFolder {
            if systemFolders.contains(lower) { return .operatingSystem }
            if name.hasPrefix(".") { return .hidden }
            let squeezed = lower.filter { !" -_".contains($0) }
            if viewerFolders.contains(squeezed) || words(name).contains(where: { $0 == "viewer" || $0 == "viewers" }) || lower.hasSuffix(".app") {
                return .viewerProgram
            }
            return nil
        }
        if !path.contains("/"), bundleFiles.contains(PathRules.collisionKey(name)) { return .bundleFile }
        if systemFiles.contains(lower) || lower.hasPrefix("._") { return .operatingSystem }
        if name.hasPrefix(".") { return .hidden }
        let stem = lower.split(separator: ".", maxSplits: 1).first.map(String.init) ?? lower
        if stem == "autorun" || stem == "autoplay" { return .autorun }
        if let dot = lower.lastIndex(of: "."), viewerExtensions.contains(String(lower[lower.index(after: dot)...])) {
            return .viewerProgram
        }
        return nil
    }
}

extension Litter {
    /// A name's words, lowercased: split at anything not a letter or digit, where a lowercase letter meets an
    /// uppercase one and where letters meet digits, so `DicomViewer` and `Viewer64` hold "viewer" and `For reviewer`
    /// does not.
    static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previous: Character?
        for character in name {
            let breaks = previous.map { previous in
                (previous.isLowercase && character.isUppercase) || (previous.isLetter && character.isNumber)
                    || (previous.isNumber && character.isLetter)
            } ?? false
            if !(character.isLetter || character.isNumber) || breaks, !current.isEmpty {
                words.append(current.lowercased())
                current = ""
            }
            if character.isLetter || character.isNumber { current.append(character) }
            previous = character
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return words
    }
}
