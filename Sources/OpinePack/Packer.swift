#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// `opine pack`: a valid bundle from a study folder (an MRI CD, or a copy of one) and the answers about the patient
/// and the request. What is not the study is left out by `Litter`'s rules and named; every size and SHA-256 comes
/// from the bytes as they are copied; the manifest is written last, and the bundle gets its name by one rename, so
/// it may be made straight into opined's drop directory.
public enum Packer {
    /// What to pack, and where.
    public struct Request: Sendable {
        /// The study folder.
        public var folder: String
        /// The answers file's bytes (`PackAnswers`).
        public var answers: [UInt8]
        /// The radiology report, when there is one: inside the folder or anywhere else.
        public var report: String?
        /// The bundle to make: a directory, or a zip when the name ends in `.zip`; it must not exist yet.
        public var output: String
        /// The limits opined applies (`[intake]`).
        public var limits: IntakeSettings
        /// Whether SIGINT, SIGTERM and SIGHUP stop the pack (the CLI); a service that shuts down gracefully, letting
        /// the pack finish, says false so its own handlers keep the signals.
        public var stopsOnSignals = true
        /// Whether each file is hard-linked into the bundle instead of copied (read to hash and check it, not
        /// written). For files on the bundle's own file system that nothing changes any more: the upload service's
        /// finished uploads; the pack's one syncfs makes their bytes durable. A directory bundle only.
        public var linksFiles = false
        /// SHA-256s (hex) already computed from the very bytes of finished files, by file identity: a linked file
        /// found here is not hashed again, and is read only as far as its type's check needs. Only with
        /// `linksFiles` (a copy must read every byte it writes), and only for files nothing can change any more.
        public var knownDigests: [FileIdentity: String] = [:]

        /// A request to pack `folder` with `answers` into `output`.
        public init(folder: String, answers: [UInt8], report: String?, output: String, limits: IntakeSettings) {
            self.folder = folder
            self.answers = answers
            self.report = report
            self.output = output
            self.limits = limits
        }
    }

    /// The bundle made.
    public struct Result: Sendable {
        /// Where it is.
        public var output: String
        /// Its submission id (given in the answers, or made).
        public var submissionID: String
        /// The priority its symptoms call for.
        public var priority: Priority
        /// Every file listed in its manifest.
        public var files: [Manifest.ListedFile]
        /// What was left out of the folder, and why.
        public var leftOut: [LeftOut]
        /// What went wrong after the bundle was named (it is made; packing again would send it twice).
        public var warnings: [String] = []
    }

    /// Makes the bundle, or throws a `PackError` naming the problem and its fix; on failure, and when SIGINT, SIGTERM
    /// or SIGHUP arrives before the bundle is named (`PackError.Kind.interrupted`), nothing is left behind.
    public static func pack(_ request: Request, now: Date = Date()) throws(PackError) -> Result {
        let output = request.output.hasSuffix("/") ? String(request.output.dropLast()) : request.output
        let parent = try checkOutput(output)
        let answers: PackAnswers
        do { answers = try PackAnswers.parse(request.answers, limits: request.limits, now: now) } catch {
            throw PackError(.invalid, error.message)
        }
        let interruption = Interruption(installing: request.stopsOnSignals)
        defer { interruption.restore() }
        var survey = try survey(request.folder, limits: request.limits)
        if let report = request.report { try survey.addReport(report, folder: request.folder) }
        try check(survey.kept, answers: answers, limits: request.limits, zip: output.lowercased().hasSuffix(".zip"))
        try interruption.check()

        let temporary = parent + "/." + (output as NSString).lastPathComponent + ".pack-\(UInt32.random(in: 0...UInt32.max))"
        var writer: BundleWriter?
        let files: [Manifest.ListedFile]
        do throws(PackError) {
            writer =
                output.lowercased().hasSuffix(".zip")
                ? try ZipWriter(temporary: temporary) : try DirectoryWriter(temporary: temporary, linksFiles: request.linksFiles)
            let known = request.linksFiles ? request.knownDigests : [:]
            files = try write(survey.kept, answers: answers, limits: request.limits, now: now, into: writer!, known: known, interruption: interruption)
            try writer!.finish()
            try interruption.check()
            try giveName(temporary, as: output)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        // Named: opined will take it, so a failure from here on is a warning; packing again would send it twice.
        var warnings: [String] = []
        do throws(PackError) { try Durability.syncFolder(parent) } catch {
            warnings.append("the bundle is made and named, but its folder could not be synced (\(error.message)); a crash of the machine now could lose the name: check that it is there")
        }
        let manifest = try? Manifest.parse(answers.manifest(files: files), limits: request.limits, today: now)
        return Result(
            output: output, submissionID: answers.submissionID, priority: Priority(symptoms: manifest?.symptoms ?? []), files: files,
            leftOut: survey.leftOut, warnings: warnings)
    }

    /// Refuses, before anything is read or written, an output opined would never take or that cannot be made, and
    /// returns the folder it goes in.
    private static func checkOutput(_ output: String) throws(PackError) -> String {
        if let mark = InProgressMark.of((output as NSString).lastPathComponent) {
            throw PackError(.usage, "--out: \(mark.sentence)")
        }
        guard FileReading.lstat(output) == nil else {
            throw PackError(.cannotCreate, "\(output.escapedForDisplay) already exists; name a new bundle, or remove the old one first")
        }
        let folder = (output as NSString).deletingLastPathComponent
        let parent = folder.isEmpty ? "." : folder
        var info = stat()
        guard stat(parent, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw PackError(.cannotCreate, "the folder \(parent.escapedForDisplay) does not exist (or is not a folder); create it first, or give --out in an existing folder")
        }
        return parent
    }

    private static func survey(_ folder: String, limits: IntakeSettings) throws(PackError) -> FolderSurvey {
        guard let info = FileReading.lstat(folder) else {
            throw PackError(.noInput, "\(folder.escapedForDisplay): no such folder; give the folder that holds the study (the CD, or a copy of it)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw PackError(.invalid, "\(folder.escapedForDisplay) is not a folder; give the folder that holds the study (unzip a zip first)")
        }
        return try FolderSurvey.survey(folder, maxFileBytes: limits.maxFileBytes)
    }

    /// Refuses, before anything is written, what opined would refuse for its size or its lack of anything to review
    /// (a supplement: anything at all to add).
    private static func check(_ kept: [PackedFile], answers: PackAnswers, limits: IntakeSettings, zip: Bool) throws(PackError) {
        if answers.supplements != nil {
            guard !kept.isEmpty || answers.requestSaysSomething else {
                throw PackError(.invalid, "the supplement brings nothing: the folder holds no file to add, no --report was given and the answers' request says nothing new; give the files to add, --report FILE, or a request.question", refusal: .nothingToReview)
            }
        } else if !kept.contains(where: { $0.kind == .imaging || $0.kind == .radiologyReport }) {
            throw PackError(.invalid, "the folder holds no DICOM image and no --report was given: there is nothing for the surgeon to review; give the folder of the MRI CD, or --report FILE", refusal: .nothingToReview)
        }
        guard kept.count <= limits.maxFiles else {
            throw PackError(.invalid, "the study has \(kept.count) files; opined takes at most \(limits.maxFiles) (intake.max_files): ask the practice: it can raise intake.max_files", refusal: .tooManyFiles(limit: limits.maxFiles))
        }
        if let large = kept.first(where: { $0.size > limits.maxFileBytes }) {
            throw PackError(.invalid, "\(large.path.escapedForDisplay) is \(large.size) bytes; opined takes files of at most \(limits.maxFileBytes) (intake.max_file_bytes)", refusal: .fileTooLarge(path: large.path, limit: limits.maxFileBytes))
        }
        let total = kept.reduce(Int64(0)) { $0 + $1.size }
        guard total <= limits.maxBundleBytes else {
            throw PackError(.invalid, "the study is \(total) bytes; opined takes bundles of at most \(limits.maxBundleBytes) (intake.max_bundle_bytes)", refusal: .tooLarge(limit: limits.maxBundleBytes))
        }
        // opined refuses ZIP64, which a zip needs past 4 GiB (the deflated size may be larger than the files).
        guard !zip || total < 0xF000_0000 else {
            throw PackError(.invalid, "the study is \(total) bytes, too large for a zip opined accepts (under 3.75 GiB, since a zip past 4 GiB needs ZIP64, which opined refuses); make a directory bundle (an --out not ending in .zip)")
        }
    }

    /// Copies every kept file, then writes the manifest last; returns the manifest's entries.
    private static func write(
        _ kept: [PackedFile], answers: PackAnswers, limits: IntakeSettings, now: Date, into writer: BundleWriter,
        known: [FileIdentity: String], interruption: Interruption
    ) throws(PackError) -> [Manifest.ListedFile] {
        var files: [Manifest.ListedFile] = []
        var dicom = (files: 0, readable: 0)
        for file in kept {
            let source = try SourceFile(file, knownDigests: known)
            // A signal is noticed within one buffer: the copy stops and the hidden copy is removed.
            try writer.add(file.path, source: file.source, size: file.size) { () throws(PackError) in
                try interruption.check()
                return try source.next()
            }
            files.append(try source.listed())
            if let readable = source.dicomHeaderReadable {
                dicom.files += 1
                if readable { dicom.readable += 1 }
            }
        }
        // opined keeps images it cannot read (and says so on the case), but refuses an upload with none it can.
        if dicom.files > 0, dicom.readable == 0 {
            throw PackError(.invalid, "none of the \(dicom.files) DICOM files has a header Opine can read, so opined would refuse the bundle (imaging_unreadable); the CD may be damaged or use a format Opine cannot read (deflated): ask the imaging centre for a new copy", refusal: .imagingUnreadable)
        }
        let manifest = answers.manifest(files: files)
        // The same parse opined makes: a bundle that would be refused for its manifest is never named.
        if case .failure(let rejection) = Manifest.read(manifest, limits: limits, today: now).result {
            throw PackError(.invalid, "the bundle would be refused (\(rejection.code.rawValue): \(rejection.message)); correct the answers or the folder", refusal: .answersRefused(rejection.code))
        }
        var sent = false
        try writer.add(Manifest.fileName, source: nil, size: Int64(manifest.count)) { () throws(PackError) in
            defer { sent = true }
            return sent ? [] : manifest
        }
        return files
    }
}
