import ArgumentParser
import Foundation
import OpineConfiguration
import OpineCore
import OpineStore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file to read.", valueName: "file"))
    var config: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false
}

/// Paging for the commands that list things.
struct PageOptions: ParsableArguments {
    @Option(name: .long, help: "How many to show (1-1000).")
    var limit = 50

    @Option(name: .long, help: "Skip this many (for the next page).")
    var offset = 0

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
        guard offset >= 0 else { throw ValidationError("--offset must not be negative") }
    }

    /// Given `rows` read with a limit of `limit + 1`, drops the extra row and returns the next page's `--offset`,
    /// or nil on the last page.
    func next<T>(_ rows: inout [T]) -> Int? {
        guard rows.count > limit else { return nil }
        rows.removeLast(rows.count - limit)
        return offset + limit
    }
}

/// Options of the commands that change a case.
struct ActingOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Act as this reviewer or user (admins only; audited).", valueName: "name"))
    var actingAs: String?
}

/// The documented exit codes.
enum ExitStatus: Int32 {
    case ok = 0
    case internalError = 1
    case notFound = 2
    case refused = 3
    case usage = 64
    case dataError = 65
    /// `opine pack`, `opine validate`: the folder, answers file, report or bundle does not exist (EX_NOINPUT).
    case noInput = 66
    case unavailable = 69
    /// `opine pack`: the output exists already or cannot be created (EX_CANTCREAT).
    case cannotCreate = 73
    /// `opine pack`, `opine validate`: reading or writing failed (EX_IOERR).
    case ioError = 74
    /// `opine status`: opined works, but something waits for a person (EX_TEMPFAIL).
    case warning = 75
    case notPermitted = 77
    case configuration = 78
}

/// How a command uses the database, which decides whether root may run it.
enum StoreAccess {
    /// Changes the store, or shows patient data (a disclosure, which must be auditable): refused to root on the
    /// service's database, whose files root would otherwise own.
    case readWrite
    /// Reads only figures, queue lines without patient data, delivery records or the audit chain's integrity: root
    /// may run it (a monitoring check), and then the database is opened read-only.
    case readOnly
}

/// What a command needs: the configuration, the store, and who is acting.
struct Context {
    /// The configuration read for this run.
    let configuration: OpineCore.Configuration
    /// The opened database.
    let store: CaseStore
    /// The options given on the command line.
    let options: GlobalOptions

    /// Runs `body` with an opened store and turns every failure into a clear message and its exit code. Root gets a
    /// read-only store for a `.readOnly` command and a refusal for any other.
    static func run(_ options: GlobalOptions, access: StoreAccess = .readWrite, _ body: (Context) throws -> Void) throws {
        do {
            let configuration = try OpineCore.Configuration.load(explicitPath: options.config)
            let readOnly = access == .readOnly && geteuid() == 0
            if !readOnly { try refuseRootOnServiceDatabase(configuration.databasePath) }
            let store = try CaseStore(path: configuration.databasePath, mode: readOnly ? .readOnly : .existing)
            try body(Context(configuration: configuration, store: store, options: options))
        } catch let error as ExitCode {
            throw error
        } catch {
            let (status, code, message) = classify(error)
            if options.json {
                do {
                    try Output.json(ErrorOutput(error: .init(code: code, message: message)), toStandardError: true)
                } catch {
                    Output.error(message)
                }
            } else {
                Output.error(message)
            }
            throw ExitCode(status.rawValue)
        }
    }

    /// Root writing to the service's database would act (and be audited) as root, and could leave root-owned files
    /// that opined (and reviewers) then cannot open; commands that show patient data are refused too, because their
    /// disclosure must be auditable and a read-only open cannot write the audit event.
    static func refuseRootOnServiceDatabase(_ path: String) throws {
        var info = stat()
        guard geteuid() == 0, stat(path, &info) == 0, info.st_uid != 0 else { return }
        let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
        let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "gid \(info.st_gid)"
        throw PermissionProblem(description: """
            refusing to run as root: \(path) belongs to \(owner), and this command writes to it or shows patient \
            data (root would leave root-owned -wal/-shm files that opined cannot open, and act unaccountably). Only \
            status, stats, list, deliveries, endpoints (without enable) and verify run as root, read-only. Run opine \
            as a member of the \(group) group (add someone with `usermod -aG \(group) NAME`), or as the service \
            user: sudo -u \(owner) opine …
            """)
    }

    /// The exit status, the JSON error code and the message for a failure.
    static func classify(_ error: Error) -> (ExitStatus, ErrorCode, String) {
        switch error {
        case is PermissionProblem:
            return (.notPermitted, .notPermitted, "\(error)")
        case let error as ConfigurationError:
            return (.configuration, .configuration, "configuration error: \(error)")
        case StoreError.noDatabase:
            return (.configuration, .noDatabase, "\(error)")
        case StoreError.migrationsPending:
            return (.notPermitted, .notPermitted, "\(error)")
        case StoreError.caseNotFound, StoreError.notFound:
            return (.notFound, .notFound, "\(error)")
        case StoreError.conflict:
            return (.refused, .conflict, "\(error)")
        case StoreError.refused, StoreError.notPermitted:
            return (.refused, .refused, "\(error)")
        case StoreError.invalidInput, is InputError:
            return (.usage, .usage, "\(error)")
        case is IntegrityError:
            return (.dataError, .integrity, "\(error)")
        default:
            return (.internalError, .internal, "internal error: \(error)")
        }
    }

    /// The person at the keyboard: their login name, or `--as NAME` when an admin acts for someone else.
    func actor(_ acting: ActingOptions) throws -> (Actor, enteredBy: String?) {
        let login = Self.loginName()
        let isAdmin = configuration.admins.contains(login)
        var name = login
        if let other = acting.actingAs, other != login {
            guard isAdmin else {
                throw StoreError.notPermitted(
                    "only admins may act as someone else (--as \(other)); you are \(login). Admins are listed under workflow.admins in \(configuration.source)")
            }
            // A typo here would record findings under a reviewer who does not exist.
            guard configuration.reviewers[other] != nil || configuration.admins.contains(other) else {
                throw StoreError.refused(.unknownReviewer(other, known: configuration.reviewers.keys.sorted()))
            }
            name = other
        }
        let actor = Actor(name: name, isAdmin: isAdmin, reviewers: Set(configuration.reviewers.keys))
        return (actor, name == login ? nil : login)
    }

    /// The acting person as the desk commands (note, letter, export, find) record them.
    func deskActor(_ acting: ActingOptions) throws -> DeskActor {
        let (actor, enteredBy) = try actor(acting)
        return DeskActor(name: actor.name, enteredBy: enteredBy)
    }

    /// The stored case id for a typed one (`c-…` is upper-cased). `submissions`: a submission id of exactly one case
    /// stands for it (show, history); elsewhere a submission id is refused with the case it belongs to.
    func caseID(_ typed: String, submissions: Bool = false) throws -> String {
        try store.resolveCaseID(typed, submissions: submissions)
    }

    /// Refuses a reviewer name that is not under [reviewers], with the same message triage gives.
    func requireReviewer(_ name: String) throws {
        guard configuration.reviewers[name] == nil else { return }
        throw StoreError.refused(.unknownReviewer(name, known: configuration.reviewers.keys.sorted()))
    }

    /// The name of the user running opine (from the password database, else $USER, else the uid).
    static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid-\(geteuid())"
    }
}

/// A command-line input (an argument value or a file) that cannot be used; exit 64.
struct InputError: Error, CustomStringConvertible {
    /// Names the problem and the fix.
    var description: String
}

/// opine may not run this way (root against the service's database); exit 77.
struct PermissionProblem: Error, CustomStringConvertible {
    /// Names the problem and the fix.
    var description: String
}

/// Reads a text or PDF file given on the command line, with a size cap and a clear message.
enum InputFile {
    /// The file's bytes, refusing a missing, empty or larger than `maxBytes` file; `what` names it in errors.
    static func read(_ path: String, maxBytes: Int, what: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(description: "\(path): cannot read the \(what) file (does it exist, and may you read it?)")
        }
        guard data.count <= maxBytes else {
            throw InputError(description: "\(path): the \(what) file is larger than \(maxBytes / 1024) KiB")
        }
        guard !data.isEmpty else { throw InputError(description: "\(path): the \(what) file is empty") }
        return data
    }

    /// The file as UTF-8 text, with the checks of `read`.
    static func text(_ path: String, maxBytes: Int, what: String) throws -> String {
        let data = try read(path, maxBytes: maxBytes, what: what)
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(description: "\(path): the \(what) file is not UTF-8 text")
        }
        return text
    }
}
