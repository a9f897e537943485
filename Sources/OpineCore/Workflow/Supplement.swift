import Foundation

/// Where one file of a supplement is stored in its case's folder: its path in the bundle, and the path it gets in
/// the case (the same, or with a suffix when the case already has a file or folder of that name).
public struct FilePlacement: Sendable, Equatable {
    /// The file's path in the supplement's bundle (and in staging).
    public var bundlePath: String
    /// Its path under the case's folder, as `case_files.path` records it.
    public var storedPath: String
    /// The SHA-256 of the bytes stored, filled in by the store, so a leftover at `storedPath` can be proven a copy.
    public var sha256: String?

    /// Pairs the two paths.
    public init(bundlePath: String, storedPath: String, sha256: String? = nil) {
        self.bundlePath = bundlePath
        self.storedPath = storedPath
        self.sha256 = sha256
    }
}

/// A supplement the case takes: where its files go, and the update it makes.
public struct SupplementPlan: Sendable, Equatable {
    /// One per listed file, in the manifest's order; empty when a repeated supplement only brings new information.
    public var placements: [FilePlacement]
    /// The case's new information, state and priority, the event and the notifications.
    public var update: CaseUpdate
}

/// What a supplement comes to.
public enum SupplementDecision: Sendable, Equatable {
    /// Its files and information are added to the case.
    case add(SupplementPlan)
    /// The same supplement (its submission id, files and manifest) was taken before: removed, audited.
    case duplicate(of: String)
    /// Quarantined with this reason: no such case, a withdrawn or purged case, or a contact that is not the case's.
    case refuse(Rejection)
}

/// A supplement taken before under the same submission id with the same files, as the store found it.
public struct PriorSupplement: Sendable, Equatable {
    /// `Admission.contentSHA256` of the files it brought.
    public var contentSHA256: String
    /// The case already holds these exact manifest bytes.
    public var sameManifest: Bool

    /// Describes what the store found.
    public init(contentSHA256: String, sameManifest: Bool) {
        self.contentSHA256 = contentSHA256
        self.sameManifest = sameManifest
    }
}

/// Decides what a supplement (a bundle whose manifest names an earlier submission in `supplements`) does to the case
/// it names. Pure: the store asks inside the intake transaction and does what it says (docs/bundle-format.md,
/// "Supplements").
public enum Supplement {
    /// Decides for `manifest` with files hashing to `contentSHA256`. `current` is the newest case of the submission it
    /// names (nil if none); `takenPaths` the case's stored file paths; `prior` a supplement taken before under this
    /// manifest's submission id with these files (its manifest possibly another).
    public static func decide(
        _ manifest: Manifest, contentSHA256: String, against current: CaseInformation?, takenPaths: [String],
        prior: PriorSupplement?
    ) -> SupplementDecision {
        let named = manifest.supplements ?? ""
        guard let current else {
            return .refuse(Rejection(
                .supplementUnknownCase,
                "supplements names \(named), which is no submission Opine holds; check the submission id, or send the bundle as a new submission without supplements"))
        }
        guard current.state != .withdrawn else {
            return .refuse(Rejection(
                .supplementCaseWithdrawn,
                "supplements names \(named), whose case \(current.caseID) was withdrawn and takes nothing more; send a new submission to be reviewed again"))
        }
        guard !current.purged else {
            return .refuse(Rejection(
                .supplementCasePurged,
                "supplements names \(named), whose case \(current.caseID) was purged under the retention rules and takes nothing more; send a new submission to be reviewed again"))
        }
        if let problem = contactProblem(manifest.patient, current.patient) {
            return .refuse(Rejection(.supplementContactMismatch, "manifest.json: \(problem) (case \(current.caseID))"))
        }
        var placements = place(manifest.files.map(\.path), beside: takenPaths)
        // Only the same files under the same submission id are the same supplement: an upload page may send several
        // under one id, and other files are never anything but new.
        if let prior, prior.contentSHA256 == contentSHA256 {
            if prior.sameManifest { return .duplicate(of: current.caseID) }
            placements = []  // Its files are on the case already: only the information is new.
        }
        var (merged, changes) = Conversation.merge(manifest, into: current)
        if !placements.isEmpty { changes.insert(.files) }
        let update = Conversation.update(
            merged, changes: changes.sorted(), before: current, reported: manifest.symptoms, filesAdded: placements.count)
        return .add(SupplementPlan(placements: placements, update: update))
    }

    /// A supplement needs no patient block, but one it has must reach the same patient: every contact it gives that
    /// the case also has must be the case's (e-mail ignoring case, phone by its digits), and one must be shared.
    static func contactProblem(_ given: Manifest.Patient?, _ known: Manifest.Patient) -> String? {
        guard let given else { return nil }
        let digits = { (phone: String?) in phone.map { $0.filter(\.isNumber) } }
        let email = given.email.flatMap { mail in known.email.map { mail.lowercased() == $0.lowercased() } }
        let phone = digits(given.phone).flatMap { number in digits(known.phone).map { number == $0 } }
        if email == false || phone == false || (email == nil && phone == nil) {
            return "patient's email and phone must be the ones the case was sent with; leave the patient block out, or send the contact the first submission gave"
        }
        return nil
    }

    /// Stored paths for `paths` that overwrite nothing: a name the case (or an earlier file of this supplement)
    /// already uses, as a file or a folder, ignoring case and Unicode normalization, gets a suffix before its
    /// extension (`report.pdf` → `report-2.pdf`); so does a folder name that is a file's. Every path keeps its
    /// folders otherwise, so a DICOM viewer still finds a series together.
    public static func place(_ paths: [String], beside takenPaths: [String]) -> [FilePlacement] {
        var taken = Taken(takenPaths)
        return paths.map { path in
            var components = path.split(separator: "/").map(String.init)
            // Walk down: a folder component that is a file's name, or the file's own name if taken, gets a suffix,
            // shortened before it so the whole path stays within `PathRules.maxBytes` (and so every name within the
            // file system's limit).
            for index in components.indices {
                let isLast = index == components.count - 1
                var attempt = 1
                let original = components[index]
                while taken.clashes(Array(components[...index]), isFile: isLast) {
                    attempt += 1
                    let room = PathRules.maxBytes - (components.joined(separator: "/").utf8.count - components[index].utf8.count)
                    components[index] = suffixed(original, attempt, keepExtension: isLast, within: room)
                }
            }
            let stored = components.joined(separator: "/")
            taken.add(stored)
            return FilePlacement(bundlePath: path, storedPath: stored)
        }
    }

    /// `name` with `-number` before its extension, its stem cut (by whole characters) to fit `room` bytes.
    static func suffixed(_ name: String, _ number: Int, keepExtension: Bool, within room: Int) -> String {
        let dot = keepExtension ? name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 } : nil
        var stem = String(name[..<(dot ?? name.endIndex)])
        let tail = "-\(number)" + (dot.map { String(name[$0...]) } ?? "")
        while stem.utf8.count + tail.utf8.count > room, stem.count > 1 { stem.removeLast() }
        return stem + tail
    }

    /// The names in use in a case's folder, by `PathRules.collisionKey`: files, and the folders that hold them.
    private struct Taken {
        var files = Set<String>()
        var folders = Set<String>()

        init(_ paths: [String]) { paths.forEach { add($0) } }

        mutating func add(_ path: String) {
            let key = PathRules.collisionKey(path)
            files.insert(key)
            var folder = key.split(separator: "/").dropLast()
            while !folder.isEmpty {
                folders.insert(folder.joined(separator: "/"))
                folder = folder.dropLast()
            }
        }

        /// A file clashes with any name in use; a folder only with a file (sharing a folder is fine).
        func clashes(_ components: [String], isFile: Bool) -> Bool {
            let key = PathRules.collisionKey(components.joined(separator: "/"))
            return files.contains(key) || (isFile && folders.contains(key)) || key == Manifest.fileName
        }
    }
}
