#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Hummingbird
import Logging
import OpineCore

/// `opine-upload`: the patients' page, their resumable uploads, the bundles made from them and renamed into opined's
/// drop directory, and each submission's status as opined's webhooks report it. Checks its folders at start so a
/// misconfigured service refuses to run instead of failing a patient later.
public struct UploadService: Sendable {
    let settings: UploadSettings
    let assets: Assets
    let logger: Logger

    /// A service for `settings`, serving the page's assets from `assets`; fails when a folder is unusable.
    public init(settings: UploadSettings, assets: Assets, logger: Logger) throws {
        self.settings = settings
        self.assets = assets
        self.logger = logger
        try Self.prepareFolders(settings)
    }

    /// Serves until SIGTERM or SIGINT, then lets requests in flight finish.
    public func run() async throws {
        let application = try await makeApplication()
        try await application.runService()
    }

    /// The application: its router with every route group, on the configured address.
    func makeApplication() async throws -> some ApplicationProtocol {
        let router = Router(context: UploadRequestContext.self)
        router.add(middleware: RequestLog(logger: logger))
        router.add(middleware: SecurityHeaders())
        router.add(middleware: CSRFCheck())
        let parts = try ServiceParts(settings: settings, assets: assets, logger: logger)
        try await parts.uploads.load()
        PageRoutes(parts: parts).register(on: router)
        DraftRoutes(parts: parts).register(on: router)
        TusRoutes(parts: parts).register(on: router)
        HookRoutes(parts: parts).register(on: router)
        router.get("/healthz") { _, _ in "ok\n" }
        let connections = ConnectionCount(limit: settings.limits.maxConnections)
        let address: BindAddress =
            switch settings.listen {
            case .tcp(let host, let port): .hostname(host, port: port)
            case .unix(let path): .unixDomainSocket(path: path)
            }
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionCap(connections)],
                    idleTimeout: .milliseconds(Int64(settings.limits.idleTimeoutSeconds * 1000)))),
            configuration: .init(address: address, serverName: "opine-upload"),
            services: [StatusSweeper(submissions: parts.submissions, keptFor: settings.statusRetentionSeconds, logger: logger)],
            onServerRunning: { channel in
                logger.notice("listening", metadata: ["address": "\(settings.listen)"])
                Task { await parts.uploads.sweepForever(logger: logger) }
            },
            logger: logger
        )
    }

    /// Makes the state folders and refuses a staging folder on another file system than the drop directory: a
    /// bundle must arrive by one rename, never by a copy opined could see half-done.
    static func prepareFolders(_ settings: UploadSettings) throws {
        var drop = stat()
        guard stat(settings.dropDirectory, &drop) == 0, drop.st_mode & S_IFMT == S_IFDIR else {
            throw StateFiles.Failure(description: "paths.drop \(settings.dropDirectory): no such directory; it is opined's <spool>/drop (create it, or correct paths.drop)")
        }
        guard access(settings.dropDirectory, W_OK | X_OK) == 0 else {
            throw StateFiles.Failure(description: "paths.drop \(settings.dropDirectory): the service may not write it; run it in the opine-upload group (deploy/opine-upload.service does)")
        }
        for folder in StateLayout(settings).folders { try StateFiles.makeFolder(folder) }
        var staging = stat()
        guard stat(settings.stagingDirectory, &staging) == 0, staging.st_dev == drop.st_dev else {
            throw StateFiles.Failure(description: "paths.state \(settings.stateDirectory) is on another file system than paths.drop \(settings.dropDirectory); put the state folder beside the spool so bundles arrive by one rename")
        }
        try RenameProbe.check(staging: StateLayout(settings).bundles, drop: settings.dropDirectory)
    }
}

/// Where the service keeps what it keeps, under `paths.state`.
struct StateLayout: Sendable {
    /// Drafts: requests being prepared, one JSON file each (`<id>.json`).
    let drafts: String
    /// Uploads in progress: `<id>` (the bytes) and `<id>.json` (what tus knows of it); on the drop directory's file
    /// system.
    let uploads: String
    /// Bundles being built, one folder per submission, renamed into the drop directory when complete.
    let bundles: String
    /// Submissions' status, one JSON file each (`<submission id>.json`).
    let submissions: String
    /// Status links: a file named by the SHA-256 of each link's token, holding the submission id.
    let tokens: String
    /// Submissions by their bundle's name: a file named by its `UploadDigest`, holding the submission id.
    let digests: String
    /// Sent drafts: a mark per draft naming the submission it became, for a repeated submit.
    let sent: String

    init(_ settings: UploadSettings) {
        let state = settings.stateDirectory
        drafts = state + "/drafts"
        uploads = settings.stagingDirectory + "/uploads"
        bundles = settings.stagingDirectory + "/bundles"
        submissions = state + "/submissions"
        tokens = state + "/tokens"
        digests = state + "/digests"
        sent = state + "/sent"
    }

    var folders: [String] { [drafts, uploads, bundles, submissions, tokens, digests, sent] }
}

/// The shared parts every route group uses, made once at start.
struct ServiceParts: Sendable {
    let settings: UploadSettings
    let layout: StateLayout
    let assets: Assets
    let logger: Logger
    /// Submissions and their status links.
    let submissions: SubmissionBook
    /// Drafts and tus uploads in progress.
    let uploads: TusStore
    /// Per-address hourly limits.
    let limits: AddressLimits

    init(settings: UploadSettings, assets: Assets, logger: Logger) throws {
        self.settings = settings
        self.layout = StateLayout(settings)
        self.assets = assets
        self.logger = logger
        self.submissions = SubmissionBook(layout: layout)
        let limits = settings.limits
        self.uploads = TusStore(
            layout: layout,
            policy: TusPolicy(
                maxFileBytes: limits.maxFileBytes, maxRequestBytes: limits.maxRequestBytes, maxFiles: limits.maxFiles,
                maxChunkBytes: limits.maxChunkBytes, expirySeconds: settings.uploadExpirySeconds))
        self.limits = AddressLimits(limits)
    }
}
