import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineIntake
import OpinePack

/// `opine pack`: a bundle opined accepts, from a study folder and an answers file.
struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a bundle from an MRI CD's folder and an answers file, leaving out what is not the study.",
        discussion: """
            Copies the study in DIR (DICOM files, recognised by their content wherever they are and whatever their \
            names, the DICOMDIR as other, pictures and notes) into BUNDLE, a directory, or a zip when the name ends in .zip, and writes its manifest.json from \
            the answers file (patient, consent, request, or a supplement's supplements: docs/bundle-format.md, \
            "Making and checking a bundle") with every \
            size and SHA-256 computed from the bytes copied. Operating-system litter, the CD's viewer program and \
            its folder (but not an image in it), autorun files, a bundle's own manifest.json and pictures or notes \
            over intake.max_file_bytes are left out, and each is named with the reason. The manifest is written \
            last and BUNDLE gets its name in one step, so BUNDLE may be in opined's drop directory. The \
            limits are those of the configuration when one is found (--config, $OPINE_CONFIG, \
            /etc/opine/opine.toml), else opined's defaults. Unless stdout and stderr are a terminal, or --names \
            is given, DIR, BUNDLE, the answers file and the report are named by role and digest (folder-<12 hex>, \
            upload-…, answers-…, report-…), since they may name a patient; paths inside DIR and BUNDLE are kept.

            Exit codes: 0 made (a warning on stderr when the bundle is named but its folder could not be synced); \
            64 usage error, or a BUNDLE name opined never looks at (starting with . or ending in ~, .part, .tmp, \
            .partial or .crdownload); 65 the answers or the folder cannot make a bundle opined accepts (the \
            message names the field or file and the fix: a link, a name opined refuses or that is not UTF-8, two \
            names opined takes for one; every problem of the answers at once), or the answers file is a folder, a \
            link or unreadable; 66 DIR, the answers file or the report does not exist; 73 BUNDLE exists already, \
            its folder does not exist, or it cannot be created; 74 a read or write failed; 78 configuration error; \
            130, 143, 129 SIGINT, SIGTERM or SIGHUP arrived before BUNDLE was named (nothing is left behind).
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The study folder: the CD, or a copy of it.", valueName: "dir")) var folder: String

    @Option(name: .long, help: ArgumentHelp("The answers file (JSON: patient, consent, request; supplements for a supplement).", valueName: "file"))
    var answers: String

    @Option(name: .long, help: ArgumentHelp("The bundle to make: a directory, or a .zip file. Must not exist.", valueName: "bundle"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("The radiology report (PDF, JPEG, PNG or text), inside DIR or not.", valueName: "file"))
    var report: String?

    @Flag(help: "Show the paths given (they may name a patient) when the output is not a terminal too.")
    var names = false

    func run() throws {
        var paths = UploadTools.paths(names: names)
        paths.add(folder, as: .folder)
        paths.add(out, as: .upload)
        paths.add(answers, as: .answers)
        if let report { paths.add(report, as: .report) }
        try UploadTools.run(options, paths: paths) { limits in
            let bytes = try AnswersFile.read(answers)
            let result = try Packer.pack(.init(folder: folder, answers: bytes, report: report, output: out, limits: limits))
            for warning in result.warnings { Output.error("warning: \(paths.scrub(warning))") }
            let output = PackOutput(result, paths: paths)
            if options.json { try Output.json(output) } else { output.print(result) }
        }
    }
}

/// `opine validate`: opined's checks of a bundle, every problem reported, nothing stored.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a bundle as opined would, without storing anything, and list every problem.",
        discussion: """
            Runs opined's own checks on BUNDLE (a directory or a .zip): whether opined would wait for it as \
            incomplete, the zip's structure, every name, the manifest, the files against the manifest, and each \
            file's size, SHA-256 and type. Each problem is printed with the rejection code and sentence opined \
            would record and the entry or field at fault; the first is the one opined would refuse the bundle for. \
            What needs the database (a re-send, a supplement's case) is not judged. A BUNDLE name opined never \
            looks at (a leading ., or ~, .part, .tmp, .partial, .crdownload at the end) is reported first, as \
            incomplete. Unless stdout and stderr are a terminal, or --names is given, BUNDLE is named by digest \
            (upload-<12 hex>, as opined's log names it), since it may name a patient. The limits are those of the \
            configuration when one is found, else opined's defaults.

            Exit codes: 0 valid; 65 invalid; 64 usage error; 66 BUNDLE does not exist; 74 a read failed; 78 \
            configuration error.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The bundle: a directory or a .zip file.", valueName: "bundle")) var bundle: String

    @Flag(help: "Show the bundle's path (it may name a patient) when the output is not a terminal too.")
    var names = false

    func run() throws {
        var paths = UploadTools.paths(names: names)
        paths.add(bundle, as: .upload)
        try UploadTools.run(options, paths: paths) { limits in
            let report = try BundleCheck.check(path: bundle, limits: limits)
            let output = ValidateOutput(report, bundle: bundle, paths: paths)
            if options.json { try Output.json(output) } else { output.print(report) }
            if !report.problems.isEmpty { throw ExitCode(ExitStatus.dataError.rawValue) }
        }
    }
}

/// What `opine pack` and `opine validate` share: the limits to judge by, and how a failure is told.
enum UploadTools {
    /// Runs `body` with the intake limits in force and turns a failure into its message and exit code.
    static func run(_ options: GlobalOptions, paths: GivenPaths, _ body: (IntakeSettings) throws -> Void) throws {
        do {
            try body(try limits(options))
        } catch let error as ExitCode {
            throw error
        } catch {
            let (status, code) = classify(error)
            let message = paths.scrub(status == .configuration ? "configuration error: \(error)" : "\(error)")
            if !options.json || (try? Output.json(ErrorOutput(error: .init(code: code, message: message)), toStandardError: true)) == nil {
                Output.error(message)
            }
            // A pack ended by a signal exits as a shell reports a process the signal killed: 128 plus its number.
            if let error = error as? PackError, case .interrupted(let signal) = error.kind { throw ExitCode(128 + signal) }
            throw ExitCode(status.rawValue)
        }
    }

    /// How given paths are shown: as given with `--names` or when both output streams are a terminal (a person
    /// reads them); else by role and digest, since a script's captured output may reach a log.
    static func paths(names: Bool) -> GivenPaths {
        GivenPaths(naming: names || (isatty(STDOUT_FILENO) != 0 && isatty(STDERR_FILENO) != 0))
    }

    /// The configured limits when a configuration is named or installed, else opined's defaults: the tools work on a
    /// laptop with no Opine installed.
    static func limits(_ options: GlobalOptions) throws -> IntakeSettings {
        let named = ProcessInfo.processInfo.environment[OpineCore.Configuration.environmentVariable].map { !$0.isEmpty } ?? false
        guard options.config != nil || named || FileManager.default.fileExists(atPath: OpineCore.Configuration.systemPath) else {
            return IntakeSettings()
        }
        return try OpineCore.Configuration.load(explicitPath: options.config).intake
    }

    private static func classify(_ error: Error) -> (ExitStatus, ErrorCode) {
        switch error {
        case let error as PackError:
            switch error.kind {
            case .usage: (.usage, .usage)
            case .interrupted: (.internalError, .interrupted)
            case .noInput: (.noInput, .noInput)
            case .invalid: (.dataError, .invalidInput)
            case .cannotCreate: (.cannotCreate, .cannotCreate)
            case .io: (.ioError, .io)
            }
        case is BundleCheck.NoSuchBundle: (.noInput, .noInput)
        case is ConfigurationError: (.configuration, .configuration)
        case is IOFailure: (.ioError, .io)
        default: (.internalError, .internal)
        }
    }
}
