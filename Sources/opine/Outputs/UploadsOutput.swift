import OpineCore
import OpineIntake
import OpinePack

/// `opine pack --json`: the bundle made, what it lists and what was left out (docs/cli.md).
struct PackOutput: Encodable {
    /// The bundle's path, when names are shown (`GivenPaths`).
    @OrNull var bundle: String?
    /// `upload-` and the `UploadDigest` of the bundle's name: how opined's log names it.
    var bundleDigest: String
    /// Its submission id.
    var submissionID: String
    /// The priority its symptoms call for.
    var priority: Priority
    /// How many files it lists, and their bytes together.
    var fileCount: Int
    var bytes: Int64
    /// Every file listed, without its SHA-256 (the manifest has it).
    var files: [File]
    /// What was left out of the folder, and why.
    var leftOut: [LeftOut]
    /// What went wrong after the bundle was named (it is made; packing again would send it twice).
    var warnings: [String]

    /// One listed file.
    struct File: Encodable {
        var path: String
        var kind: String
        var mediaType: String
        var size: Int64

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case path, kind, size
            case mediaType = "media_type"
        }
    }

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case bundle, priority, bytes, files, warnings
        case bundleDigest = "bundle_digest"
        case submissionID = "submission_id"
        case fileCount = "file_count"
        case leftOut = "left_out"
    }

    init(_ result: Packer.Result, paths: GivenPaths) {
        bundle = paths.naming ? result.output : nil
        bundleDigest = GivenPaths(naming: false).shown(result.output, as: .upload)
        submissionID = result.submissionID
        priority = result.priority
        fileCount = result.files.count
        bytes = result.files.reduce(0) { $0 + $1.size }
        files = result.files.map { File(path: $0.path, kind: $0.kind, mediaType: $0.mediaType.rawValue, size: $0.size) }
        leftOut = result.leftOut
        warnings = result.warnings
    }

    /// The text form: the bundle, its counts by kind, then each thing left out with its reason.
    func print(_ result: Packer.Result) {
        let output = self
        Output.line("made \(output.bundle?.escapedForDisplay ?? bundleDigest): \(output.fileCount) files, \(output.bytes) bytes, priority \(output.priority.rawValue)")
        Output.fields([
            ("submission id", output.submissionID),
            ("imaging", String(result.files.filter { $0.kind == FileKind.imaging.rawValue }.count)),
            ("report", result.files.first { $0.kind == FileKind.radiologyReport.rawValue }?.path ?? "none"),
            ("other", String(result.files.filter { $0.kind == FileKind.other.rawValue }.count)),
            ("left out", String(result.leftOut.count)),
        ])
        guard !result.leftOut.isEmpty else { return }
        Output.line()
        Output.table(["LEFT OUT", "WHY"], result.leftOut.map { [$0.path, $0.reason.sentence] })
    }
}

/// `opine validate --json`: every problem, with opined's code and sentence and the entry or field at fault.
struct ValidateOutput: Encodable {
    /// The path checked, when names are shown (`GivenPaths`).
    @OrNull var bundle: String?
    /// `upload-` and the `UploadDigest` of the bundle's name: how opined's log names it.
    var bundleDigest: String
    /// True when opined would take it.
    var valid: Bool
    /// The manifest's submission id, when it could be read.
    @OrNull var submissionID: String?
    /// How many files the manifest lists, when it parsed.
    @OrNull var fileCount: Int?
    /// Every problem, the first being the one opined would refuse the bundle for.
    var problems: [Problem]

    /// One problem, with every key present.
    struct Problem: Encodable {
        /// opined's rejection code.
        var code: Rejection.Code
        /// opined's sentence.
        var message: String
        /// The file or folder at fault, by its path within the bundle.
        @OrNull var entry: String?
        /// The manifest field at fault, such as `files[3].sha256`.
        @OrNull var field: String?
    }

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case bundle, valid, problems
        case bundleDigest = "bundle_digest"
        case submissionID = "submission_id"
        case fileCount = "file_count"
    }

    init(_ report: BundleCheck.Report, bundle: String, paths: GivenPaths) {
        self.bundle = paths.naming ? bundle : nil
        bundleDigest = GivenPaths(naming: false).shown(bundle, as: .upload)
        valid = report.problems.isEmpty
        submissionID = report.submissionID
        fileCount = report.manifest?.files.count
        problems = report.problems.map { Problem(code: $0.code, message: $0.message, entry: $0.entry, field: $0.field) }
    }

    /// The text form: a verdict line, then one line per problem (code, entry or field, sentence).
    func print(_ report: BundleCheck.Report) {
        let bundle = self.bundle ?? bundleDigest
        guard !report.problems.isEmpty else {
            Output.line("\(bundle.escapedForDisplay): valid; opined would take it (\(report.manifest?.files.count ?? 0) files)")
            return
        }
        let count = report.problems.count
        Output.line("\(bundle.escapedForDisplay): invalid; opined would refuse it as \(report.problems[0].code.rawValue) (\(count) problem\(count == 1 ? "" : "s"))")
        Output.table(["CODE", "AT", "PROBLEM"], report.problems.map { [$0.code.rawValue, $0.entry ?? $0.field ?? "-", $0.message] })
    }
}
