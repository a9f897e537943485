import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OpineCore

/// The uploads waiting in the drop directory, read by `opine status` itself so the list holds while opined is down.
extension Status {
    /// Upload names and the uploader's paths are shown to a person at a terminal; output captured elsewhere (a
    /// monitoring check's, which may reach a log), text or JSON, names uploads by digest only, unless `--names`.
    static var onTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// The oldest waiting uploads and why they wait; nil when the drop directory cannot be read.
    static func waitingUploads(
        _ configuration: OpineCore.Configuration, heartbeat: DaemonHeartbeat?, age: Double?, namingPaths: Bool
    ) -> WaitingUploads? {
        let drop = configuration.dropDirectory
        guard let entries = DropListing.entries(drop) else { return nil }
        let now = Date()
        let (shown, more) = WaitingUploads.oldest(entries)
        let seen = shown.compactMap { DropListing.look($0.name, in: drop, limits: configuration.intake, today: now) }
        let intake = configuration.intake
        return WaitingUploads(
            seen: seen, more: more, intake: .of(heartbeat: heartbeat, age: age),
            policy: ReadinessPolicy(settleSeconds: intake.settleSeconds, incompleteAfterSeconds: intake.incompleteAfterSeconds),
            now: now.timeIntervalSince1970, namingPaths: namingPaths)
    }

    /// One block per upload: digest, quiet time, kind and, at a terminal, the name (for the practice's staff); then
    /// why.
    static func printWaiting(_ waiting: WaitingUploads?, naming: Bool) {
        guard let waiting, !waiting.uploads.isEmpty else { return }
        Output.line("waiting uploads (quiet longest first):")
        for upload in waiting.uploads {
            let name = naming ? "  " + upload.name.escapedForDisplay : ""
            Output.line("  \(upload.digest)  \(WaitingUploads.ageWords(upload.quietSeconds)) quiet  \(upload.kind.rawValue)\(name)")
            Output.line("      \(upload.message)")
        }
        if waiting.more > 0 { Output.line("  … and \(waiting.more) more, quiet for less time") }
    }
}
