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
            the answers file (patient, consent, request: docs/bundle-format.md, "Making and checking a bundle") with every \
            size and SHA-256 computed from the bytes copied. Operating-system litter, the CD's viewer program and \
            its folder (but not an image in it), autorun files, a bundle's own manifest.json and pictures or notes \
            over intake.max_file_bytes are left out, and each is named with the reason. The manifest is written \
            last and BUNDLE gets its name in one step, so BUNDLE may be in opined's drop directory. The \
            limits are those of the configuration when one is found (--config, $OPINE_CONFIG, \
            /etc/opine/opine.toml), else opined's defaults.

            Exit codes: 0 made; 64 usage error; 65 the answers or the folder cannot make a bundle opined accepts \
            (the message names the field or file and the fix: a link, a name opined refuses or that is not UTF-8, \
            two names opined takes for one); 66 DIR, the answers file or the report does not \
            exist; 73 BUNDLE exists already or cannot be created; 74 a read or write failed; 78 configuration error.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The study folder: the CD, or a copy of it.", valueName: "dir")) var folder: String

    @Option(name: .long, help: ArgumentHelp("The answers file (JSON: patient, consent, request).", valueName: "file"))
    var answers: String

    @Option(name: .long, help: ArgumentHelp("The bundle to make: a directory, or a .zip file. Must not exist.", valueName: "bundle"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("The radiology report (PDF, JPEG, PNG or text), inside DIR or not.", valueName: "file"))
    var report: String?

    func run() throws {
        try UploadTools.run(options) { limits in
            guard let bytes = FileManager.default.contents(atPath: answers) else {
                throw PackError(.noInput, "\(answers.escapedForDisplay): cannot be read; give the answers file with --answers")
            }
            let result = try Packer.pack(.init(folder: folder, answers: Array(bytes), report: report, output: out, limits: limits))
            if options.json { try Output.json(PackOutput(result)) } else { PackOutput.print(result) }
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
            What needs the database (a re-send, a supplement's case) is not judged. The limits are those of the \
            configuration when one is found, else opined's defaults.

            Exit codes: 0 valid; 65 invalid; 64 usage error; 66 BUNDLE does not exist; 74 a read failed; 78 \
            configuration error.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The bundle: a directory or a .zip file.", valueName: "bundle")) var bundle: String

    func run() throws {
        try UploadTools.run(options) { limits in
            let report = try BundleCheck.check(path: bundle, limits: limits)
            if options.json { try Output.json(ValidateOutput(report, bundle: bundle)) } else { ValidateOutput.print(report, bundle: bundle) }
            if !report.problems.isEmpty { throw ExitCode(ExitStatus.dataError.rawValue) }
        }
    }
}

/// What `opine pack` and `opine validate` share: the limits to judge by, and how a failure is told.
enum UploadTools {
    /// Runs `body` with the intake limits in force and turns a failure into its message and exit code.
    static func run(_ options: GlobalOptions, _ body: (IntakeSettings) throws -> Void) throws {
        do {
            try body(try limits(options))
        } catch let error as ExitCode {
            throw error
        } catch {
            let (status, code) = classify(error)
            let message = status == .configuration ? "configuration error: \(error)" : "\(error)"
            if !options.json || (try? Output.json(ErrorOutput(error: .init(code: code, message: message)), toStandardError: true)) == nil {
                Output.error(message)
            }
            throw ExitCode(status.rawValue)
        }
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
