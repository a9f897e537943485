#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// opined's checks of one bundle, run without storing anything (`opine validate`): the same readers, manifest parse,
/// inventory match and content checks intake runs, going on past each problem so all of them are reported, each with
/// the code and sentence intake would record. What needs the store (a re-send, a supplement's case) is not judged.
public enum BundleCheck {
    /// What the check found.
    public struct Report: Sendable {
        /// Every problem, in the order intake meets them: the first is the one opined would refuse the bundle for.
        public var problems: [BundleProblem]
        /// The manifest's submission id, when it could be read.
        public var submissionID: String?
        /// The manifest, when it parsed.
        public var manifest: Manifest?
    }

    /// The bundle does not exist (or cannot be looked at).
    public struct NoSuchBundle: Error, CustomStringConvertible {
        /// The path given.
        public var path: String
        /// Names the path and the fix.
        public var description: String { "\(path.escapedForDisplay): no such directory or .zip file; give the path of a bundle" }
    }

    /// Checks the bundle at `path` under `limits`. Throws `NoSuchBundle`, or an I/O failure that says nothing
    /// about the bundle.
    public static func check(path given: String, limits: IntakeSettings, today: Date = Date()) throws -> Report {
        var report = try checkContents(path: given, limits: limits, today: today)
        // A name opined never looks at comes first: whatever the contents, opined would wait for ever.
        if let mark = InProgressMark.of(nameOf(given)) {
            report.problems.insert(BundleProblem(Rejection(.incomplete, mark.sentence)), at: 0)
        }
        return report
    }

    /// The last component of `path`, trailing slashes aside.
    static func nameOf(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return (path as NSString).lastPathComponent
    }

    private static func checkContents(path given: String, limits: IntakeSettings, today: Date) throws -> Report {
        var path = given
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard let info = FileOperations.lstat(path) else { throw NoSuchBundle(path: given) }
        let name = (path as NSString).lastPathComponent
        let parent = (path as NSString).deletingLastPathComponent
        // What readiness would refuse without taking it (a listed link or device, or an upload that stays incomplete),
        // decided as if it stayed unchanged for ever, so the sentence is opined's.
        if let look = UploadLook.look(at: name, in: parent.isEmpty ? "." : parent, limits: limits, today: today) {
            let policy = ReadinessPolicy(settleSeconds: limits.settleSeconds, incompleteAfterSeconds: limits.incompleteAfterSeconds)
            if case .reject(let rejection) = policy.decide(look.observation, now: .infinity, renamedIn: true) {
                return Report(problems: [BundleProblem(rejection)])
            }
        }
        let reader: BundleReader
        do {
            reader = try Intake.openReader(name: name, path: path, info: info, limits: limits, look: nil, collecting: true)
        } catch let rejection as Rejection {
            return Report(problems: [BundleProblem(rejection)])
        }
        return try check(reader, limits: limits, today: today)
    }

    private static func check(_ reader: BundleReader, limits: IntakeSettings, today: Date) throws -> Report {
        let (files, treeProblems) = try reader.collectInventory()
        var problems = treeProblems.map(\.problem)
        var faulty = Set(treeProblems.compactMap(\.path))
        // A manifest that is a link or a device is not read at all: that is the problem, and nothing past it can be judged.
        if faulty.contains(Manifest.fileName) { return Report(problems: problems) }
        let bytes: [UInt8]
        do { bytes = try reader.manifestBytes() } catch let rejection as Rejection {
            return Report(problems: problems + [BundleProblem(rejection, entry: Manifest.fileName)])
        }
        let reading = Manifest.read(bytes, limits: limits, today: today, collecting: true)
        let manifest: Manifest
        switch reading.result {
        case .failure(let rejection):
            // Every field's problem; the files cannot be judged against a manifest that does not parse.
            let found = (reading.problems.isEmpty ? [rejection] : reading.problems).map { BundleProblem($0, entry: Manifest.fileName) }
            return Report(problems: problems + found, submissionID: reading.submissionID)
        case .success(let parsed):
            manifest = parsed
        }
        for (rejection, path) in Intake.inventoryProblems(files, against: manifest) where !faulty.contains(path) {
            problems.append(BundleProblem(rejection))
            faulty.insert(path)
        }
        var images = ImageHeaders()
        for (index, file) in manifest.files.enumerated() where !faulty.contains(file.path) {
            let sink = StagedFile(checking: file.path, limit: file.size, mediaType: file.mediaType)
            do {
                try reader.copy(file.path, size: file.size, into: sink)
                try Intake.judge(sink, file: file, index: index)
                if file.mediaType == .dicom { images.add(sink, index: index, size: file.size) }
            } catch let rejection as Rejection {
                problems.append(BundleProblem(rejection, entry: file.path, field: "files[\(index)]"))
            }
        }
        do { _ = try images.summary() } catch let rejection as Rejection {
            problems.append(BundleProblem(rejection))
        }
        return Report(problems: problems, submissionID: manifest.submissionID, manifest: manifest)
    }
}
