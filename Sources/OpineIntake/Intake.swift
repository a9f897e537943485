#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import GRDB
import Logging
import OpineCore
import OpineStore
import Synchronization

/// Takes one upload from the drop directory: validates it, copies it into staging while hashing, commits it as a case
/// (or records it as a duplicate), and only then removes the upload. An invalid upload is moved to `rejected/` with
/// its reason. An I/O failure leaves the upload where it was, to be tried again: nothing is ever half-taken.
public final class Intake: @unchecked Sendable {
    // @unchecked: used from the intake thread only; the store is Sendable and the rest is immutable.
    let configuration: OpineCore.Configuration
    let store: CaseStore
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Called after each commit that wrote notifications, so the delivery worker sends them at once.
    let announce: @Sendable () -> Void
    /// Beaten on every chunk copied, so the watchdog sees a long copy as progress, not a wedged loop.
    let heartbeat: Heartbeat?
    /// The limits in force; a configuration reload replaces them between uploads.
    private let currentLimits: Locked<IntakeSettings>
    /// Why uploads cannot be taken right now (a full disk, an I/O error), until one is taken again.
    private let currentProblem = Locked<Problem?>(nil)
    /// Taken uploads renamed aside whose deletion waits until intake is idle.
    let taken: TakenUploads
    /// Supplements already logged as waiting for their case, so each is logged once, not at every look.
    private let waiting = Locked(Set<String>())

    /// A failure that keeps uploads waiting in the drop directory; `opine status` reports it.
    public struct Problem: Sendable, Equatable {
        /// What failed, as logged; no patient data.
        public var message: String
        /// The failure was a full disk (or quota), which `opine status` names as such.
        public var diskFull: Bool
        /// When uploads first became blocked; a different failure later keeps this time.
        public var since: Date
    }

    /// What became of one upload.
    public enum Outcome: Equatable, Sendable {
        /// Committed as a new case.
        case stored(caseID: String, priority: Priority)
        /// Removed as an exact re-send of this case.
        case duplicate(of: String)
        /// Its new information was merged into this open case, now at `priority`.
        case updated(caseID: String, priority: Priority)
        /// Moved to `rejected/` with this reason and recorded.
        case rejected(Rejection.Code)
        /// Nothing changed; the upload stays and is tried again after a pause.
        case retryLater(String, diskFull: Bool)
        /// A supplement whose submission is not a case yet: it stays and is tried again after a pause, until
        /// `intake.supplement_wait` after it arrived (then it is quarantined). Not a failure of intake.
        case waitingForCase
        /// The upload was gone before it could be taken (withdrawn or renamed by the uploader).
        case vanished
    }

    /// Makes an intake; `announce` wakes the delivery worker after a commit, `heartbeat` is beaten while copying.
    public init(
        configuration: OpineCore.Configuration, store: CaseStore, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init,
        announce: @escaping @Sendable () -> Void = {}, heartbeat: Heartbeat? = nil
    ) {
        self.heartbeat = heartbeat
        currentLimits = Locked(configuration.intake)
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.clock = clock
        self.announce = announce
        taken = TakenUploads(logger: logger, configuration: configuration)
    }

    /// The limits in force for the next upload taken.
    public var limits: IntakeSettings { currentLimits.withLock { $0 } }

    /// Applies reloaded limits to the next upload taken.
    public func apply(_ limits: IntakeSettings) { currentLimits.withLock { $0 = limits } }

    /// Why uploads cannot be taken right now; nil again once an upload is stored, rejected or found a duplicate.
    public var problem: Problem? { currentProblem.withLock { $0 } }

    /// Takes one upload (a group of one: `take(_:heartbeat:fileByFile:)`). `look` is what the loop's readiness check
    /// already read of it; without one, the upload is read from scratch.
    func take(_ name: String, look: UploadLook?, heartbeat: Heartbeat? = nil) -> Outcome {
        take([(name, look)], heartbeat: heartbeat)[0]
    }

    /// Takes one upload, reading it from scratch (tests, and tools that bypass the loop).
    public func take(_ name: String) -> Outcome { take(name, look: nil) }

    /// Remembers whether intake is blocked by a failure (cleared by the next success).
    func note(_ outcome: Outcome) {
        currentProblem.withLock { problem in
            switch outcome {
            case .retryLater(let message, let diskFull):
                if problem?.message != message { problem = Problem(message: message, diskFull: diskFull, since: problem?.since ?? clock()) }
            case .vanished, .waitingForCase: break
            default: problem = nil
            }
        }
    }

    /// An upload read, checked and copied into staging, waiting for its group's durability point and commit.
    struct Staged {
        var name: String
        var path: String
        var commit: IntakeCommit
        /// The staging folder, removed by whoever ends the take unless it was renamed into the store.
        var directory: String
        /// Every staged file and folder, for a durability point that syncs them one by one.
        var files: [String]
        var directories: [String]
    }

    /// How far one upload got on its own: settled (rejected, an exact re-send, vanished, failed) or staged.
    enum Prepared {
        case done(Outcome)
        case staged(Staged)
    }

    /// Reads, checks and stages one upload; everything short of making it durable and committing it.
    func prepare(_ name: String, look: UploadLook?, heartbeat: Heartbeat?) -> Prepared {
        let uploadPath = configuration.dropDirectory + "/" + name
        guard let info = FileOperations.lstat(uploadPath) else { return .done(.vanished) }
        let look = look.flatMap { $0.zip != nil || $0.isCurrent(for: info, now: clock().timeIntervalSince1970) ? $0 : nil }
        var submissionID: String?
        var stagingDirectory: String?
        var staged = false
        defer {
            if !staged, let stagingDirectory { try? FileOperations.removeTree(stagingDirectory) }
        }
        do {
            let reader = try Self.openReader(name: name, path: uploadPath, info: info, limits: self.limits, look: look)
            let inventory = try reader.inventory()
            let manifestBytes = try reader.manifestBytes()
            let limits = self.limits
            // Readiness's parse stands for these bytes only if they are the bytes it parsed, under the same limits.
            let reading = look?.directory.flatMap { looked in
                looked.limits == limits && looked.manifest == manifestBytes ? looked.reading : nil
            }
                ?? Manifest.read(manifestBytes, limits: limits, today: clock())
            // Named in the rejection notice when the strict parse read it, so the upload page can tell the patient.
            submissionID = reading.submissionID
            let manifest = try reading.result.get()
            submissionID = manifest.submissionID
            try checkInventory(inventory, against: manifest)
            // A supplement whose submission is not a case yet waits before anything is copied: it is looked at again
            // every few seconds, and a large one must not be copied each time.
            if let named = manifest.supplements, try !store.holdsSubmission(named), mayWaitForCase(uploadPath) {
                noteWaiting(name)
                return .done(.waitingForCase)
            }

            let directory = configuration.stagingDirectory + "/" + UUID().uuidString.lowercased()
            stagingDirectory = directory
            let result = try stage(
                manifest, manifestBytes: manifestBytes, from: reader, into: directory, uploadName: name, heartbeat: heartbeat)
            staged = true
            return .staged(Staged(
                name: name, path: uploadPath, commit: result.commit, directory: directory, files: result.files,
                directories: result.directories))
        } catch let rejection as Rejection {
            return .done(quarantine(name: name, path: uploadPath, rejection: rejection, submissionID: submissionID))
        } catch let failure as IOFailure where failure.code == ENOENT && FileOperations.lstat(uploadPath) == nil {
            return .done(.vanished)
        } catch {
            return .done(retryLater(name, error))
        }
    }

    /// Logs, once per upload, that a supplement waits for the submission it names.
    func noteWaiting(_ name: String) {
        let first = waiting.withLock { names in
            if names.count > 10_000 { names.removeAll() }
            return names.insert(name).inserted
        }
        if first { logger.notice("a supplement waits for the submission it names", metadata: ["upload": "\(LogSafe.upload(name))"]) }
    }

    /// Logs a failure that leaves the upload waiting, to be tried again.
    func retryLater(_ name: String, _ error: Error) -> Outcome {
        let message = LogSafe.error(error, upload: name, in: configuration)
        logger.error("intake failed; the upload stays and will be tried again", metadata: [
            "upload": "\(LogSafe.upload(name))", "error": "\(message)",
        ])
        return .retryLater(message, diskFull: Self.isDiskFull(error))
    }

    /// The reader for an upload: a directory, or a regular file named `.zip`; anything else is not a bundle.
    /// `collecting` (`opine validate`): a zip's entries refused for their name or type are noted, not fatal.
    static func openReader(
        name: String, path: String, info: stat, limits: IntakeSettings, look: UploadLook?, collecting: Bool = false
    ) throws -> BundleReader {
        if FileOperations.isDirectory(info) {
            return try DirectoryBundleReader(path: path, limits: limits, looked: look?.directory)
        }
        if FileOperations.isRegular(info), name.lowercased().hasSuffix(".zip") {
            return try ZipBundleReader(path: path, limits: limits, looked: look?.zip, collecting: collecting)
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw Rejection(.notABundle, "the upload is a symbolic link; place the bundle itself in the drop directory")
        }
        throw Rejection(.notABundle, "the upload is neither a directory nor a .zip file")
    }

    private func checkInventory(_ inventory: [String: Int64], against manifest: Manifest) throws {
        if let first = Self.inventoryProblems(inventory, against: manifest).first { throw first.rejection }
    }

    /// Every way the files present differ from the manifest's list, each with the path at fault, in the order intake
    /// meets them (listed files in manifest order, then unlisted ones by name): intake refuses at the first,
    /// `opine validate` reports them all.
    static func inventoryProblems(_ inventory: [String: Int64], against manifest: Manifest) -> [(rejection: Rejection, path: String)] {
        var present = inventory
        present.removeValue(forKey: Manifest.fileName)
        var problems: [(rejection: Rejection, path: String)] = []
        for (index, file) in manifest.files.enumerated() {
            guard let size = present.removeValue(forKey: file.path) else {
                problems.append((Rejection(.missingFile, "manifest.json: files[\(index)] is not in the bundle", entry: file.path), file.path))
                continue
            }
            if size != file.size {
                let message = "manifest.json: files[\(index)].size is \(file.size) but the file has \(size) bytes"
                problems.append((Rejection(.sizeMismatch, message, entry: file.path), file.path))
            }
        }
        for unlisted in present.keys.sorted() {
            let message = "bundle entry \(unlisted.escapedForDisplay) is not listed in manifest.json"
            problems.append((Rejection(.unlistedFile, message, entry: unlisted), unlisted))
        }
        return problems
    }

    /// Copies every listed file into `directory`, hashing and type-checking as the bytes pass, and starts writing
    /// them out; the group's durability point (`Intake+Group.swift`) waits for them.
    private func stage(
        _ manifest: Manifest, manifestBytes: [UInt8], from reader: BundleReader, into directory: String, uploadName: String,
        heartbeat: Heartbeat?
    ) throws -> (commit: IntakeCommit, files: [String], directories: [String]) {
        try FileOperations.makeDirectory(directory)
        var directories: Set<String> = [directory]
        var records: [CaseFileRecord] = []
        var total: Int64 = 0
        var images = ImageHeaders()
        let writer = ChunkWriter()
        // However staging ends, nothing may still be writing into the folder when the caller removes it.
        defer { writer.waitUntilIdle() }
        for (index, file) in manifest.files.enumerated() {
            var parent = directory
            for component in file.path.split(separator: "/").dropLast() {
                parent += "/" + component
                if directories.insert(parent).inserted { try FileOperations.makeDirectory(parent) }
            }
            let staged = try writer.create(directory + "/" + file.path, size: file.size)
            let sink = StagedFile(file: staged, writer: writer, limit: file.size, mediaType: file.mediaType, heartbeat: heartbeat)
            defer { writer.close(staged) }
            do {
                try reader.copy(file.path, size: file.size, into: sink)
            } catch let rejection as Rejection {
                throw rejection.naming(entry: file.path)
            }
            try Self.judge(sink, file: file, index: index)
            total += file.size
            if file.mediaType == .dicom { images.add(sink, index: index, size: file.size) }
            records.append(CaseFileRecord(
                caseID: "", path: file.path, kind: file.kind, mediaType: file.mediaType.rawValue, size: file.size,
                sha256: file.sha256, storedSHA256: sink.storedSHA256))
        }
        try writeManifest(manifestBytes, into: directory, with: writer)

        let content = Admission.contentSHA256(records.map { ($0.path, $0.sha256) })
        var commit = IntakeCommit(
            manifest: manifest, manifestBytes: manifestBytes, uploadName: uploadName.escapedForDisplay, files: records,
            contentSHA256: content, totalBytes: total)
        commit.study = try images.summary()
        let paths = records.map { directory + "/" + $0.path } + [directory + "/" + Manifest.fileName]
        return (commit, paths, directories.sorted())
    }

    /// Whether a copied file's bytes are what the manifest says: its SHA-256, then its media type's signature.
    static func judge(_ sink: StagedFile, file: Manifest.ListedFile, index: Int) throws(Rejection) {
        guard sink.sha256 == file.sha256 else {
            throw Rejection(.checksumMismatch, "manifest.json: files[\(index)].sha256 does not match the file's content", entry: file.path)
        }
        switch sink.sniffer.finding() {
        case .mismatch(let problem):
            throw Rejection(
                .contentTypeMismatch, "manifest.json: files[\(index)] is declared \(file.mediaType.rawValue) but \(problem)",
                entry: file.path, field: "files[\(index)].media_type")
        case .encrypted(let problem):
            throw Rejection(.fileEncrypted, "manifest.json: files[\(index)] \(problem)", entry: file.path)
        case nil:
            break
        }
    }

    /// The staging folder is private until it is renamed into the store, so the manifest needs no temporary name;
    /// the durability point makes it, every file and every new directory entry durable.
    private func writeManifest(_ bytes: [UInt8], into directory: String, with writer: ChunkWriter) throws {
        let file = try writer.create(directory + "/" + Manifest.fileName, size: Int64(bytes.count))
        do {
            defer { writer.close(file) }
            try bytes.withUnsafeBytes { try writer.write(file, $0) }
        }
        try writer.drain()
    }

    static func isDiskFull(_ error: Error) -> Bool {
        if let failure = error as? IOFailure { return failure.isDiskFull }
        if let database = error as? DatabaseError { return database.resultCode == .SQLITE_FULL }
        return false
    }

}
