import Foundation

/// The uploads waiting in the drop directory as `opine status` shows them: the oldest first, at most `cap`, each with
/// how long it has been quiet and why it waits. Decided from what `DropListing` saw and from how intake is, and the
/// same whether opined runs or not, so ordering, cap and wording are values a test checks; nothing here reads a disk.
public struct WaitingUploads: Sendable, Equatable {
    /// How many uploads are listed; the rest are counted in `more`. A flood must not turn a status check into a walk
    /// of every bundle.
    public static let cap = 20

    /// What an upload in the drop directory is.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A bundle folder.
        case directory
        /// A file whose name ends in `.zip`.
        case zip
        /// Anything else (a stray file, a link): opined takes it once quiet and refuses it with a reason.
        case other
    }

    /// Why an upload is still in the drop directory.
    public enum Reason: String, Codable, Sendable, CaseIterable {
        /// Something in it changed within `intake.settle_seconds`: it is still being written.
        case changing
        /// Quiet, but its manifest, a listed file (or part of one) or a zip's end record is not there yet; refused
        /// as `incomplete` once quiet for `intake.incomplete_after_hours`.
        case incomplete
        /// Complete, but opined is not running (stopped, or its heartbeat is stale): nothing takes it.
        case opinedStopped = "opined_stopped"
        /// Complete, but intake is blocked by a full disk or an I/O error; it is retried.
        case intakeBlocked = "intake_blocked"
        /// Complete, and opined runs: it is being taken, or waits its turn (emergencies first).
        case queued
    }

    /// How intake is, as far as the waiting uploads are concerned.
    public enum IntakeCondition: Sendable, Equatable {
        /// opined runs and takes uploads.
        case running
        /// opined runs, but cannot take uploads; `diskFull` false means another I/O error.
        case blocked(diskFull: Bool)
        /// opined is stopped, was never started, or its heartbeat is stale.
        case stopped

        /// The condition the heartbeat file (and its age in seconds) shows.
        public static func of(heartbeat: DaemonHeartbeat?, age: Double?) -> IntakeCondition {
            guard let heartbeat, heartbeat.stoppedAt == nil, let age, age <= DaemonHealth.staleAfter else { return .stopped }
            return heartbeat.intakeBlocked.map { .blocked(diskFull: $0.diskFull) } ?? .running
        }
    }

    /// An upload as the drop directory's listing shows it: its name and when its own entry last changed.
    public struct Entry: Sendable, Equatable {
        /// Its name in the drop directory.
        public var name: String
        /// The latest of its entry's modification and status-change times (seconds since the epoch).
        public var lastChange: Double

        /// Records one listed entry.
        public init(name: String, lastChange: Double) {
            self.name = name
            self.lastChange = lastChange
        }
    }

    /// What a closer look at one upload found.
    public struct Seen: Sendable, Equatable {
        /// Its name in the drop directory.
        public var name: String
        /// What it is.
        public var kind: Kind
        /// What readiness would see of it: when it last changed and what it still lacks (the same judgement intake
        /// makes, `ReadinessPolicy.observe`).
        public var observation: ReadinessPolicy.Observation
        /// The latest change of anything in it (seconds since the epoch): what readiness measures quiet from.
        public var lastChange: Double { observation.lastChange }

        /// Records one look.
        public init(name: String, kind: Kind, observation: ReadinessPolicy.Observation) {
            self.name = name
            self.kind = kind
            self.observation = observation
        }

        /// Records one look at an upload that lacks `gaps` (complete when none).
        public init(name: String, kind: Kind, lastChange: Double, gaps: [ReadinessPolicy.Gap] = []) {
            self.init(name: name, kind: kind, observation: .init(complete: gaps.isEmpty, lastChange: lastChange, gaps: gaps))
        }
    }

    /// One waiting upload, decided.
    public struct Upload: Sendable, Equatable {
        /// Its name in the drop directory (may name a patient: never for logs).
        public var name: String
        /// How logs name it (`UploadDigest`).
        public var digest: String
        /// What it is.
        public var kind: Kind
        /// Seconds since anything in it last changed.
        public var quietSeconds: Double
        /// Why it waits.
        public var reason: Reason
        /// What is not there yet (the first `ReadinessPolicy.Gap.named`, in listing order) and how many listed
        /// files are missing or short in all; nil when complete.
        public var missing: ReadinessPolicy.Observation?
        /// For `incomplete`: seconds until opined refuses it as incomplete, if nothing changes (0 when due).
        public var refusedInSeconds: Double?
        /// The reason in words, with what happens next.
        public var message: String
    }

    /// The listed uploads, quietest longest first.
    public var uploads: [Upload]
    /// How many more wait than are listed.
    public var more: Int

    /// The `cap` entries whose own entry changed longest ago (ties by name, so the list is stable), and how many are
    /// left out. Only these are looked at closely.
    public static func oldest(_ entries: [Entry], cap: Int = cap) -> (shown: [Entry], more: Int) {
        let sorted = entries.sorted { ($0.lastChange, $0.name) < ($1.lastChange, $1.name) }
        return (Array(sorted.prefix(max(0, cap))), max(0, sorted.count - max(0, cap)))
    }

    /// Decides why each looked-at upload waits. `more` is the count `oldest` left out; `now` in seconds since the
    /// epoch. `namingPaths` false keeps the uploader's file paths out of the messages (counts only), for output that
    /// may reach a log.
    public init(seen: [Seen], more: Int, intake: IntakeCondition, policy: ReadinessPolicy, now: Double, namingPaths: Bool = true) {
        uploads = seen.sorted { ($0.lastChange, $0.name) < ($1.lastChange, $1.name) }
            .map { Self.decide($0, intake: intake, policy: policy, now: now, namingPaths: namingPaths) }
        self.more = more
    }

    static func decide(_ seen: Seen, intake: IntakeCondition, policy: ReadinessPolicy, now: Double, namingPaths: Bool) -> Upload {
        let quiet = max(0, now - seen.lastChange)
        let special = seen.observation.specialEntry != nil
        let missing = seen.observation.gapCount == 0 || special ? nil : seen.observation
        var upload = Upload(
            name: seen.name, digest: UploadDigest.of(seen.name), kind: seen.kind, quietSeconds: quiet, reason: .queued,
            missing: missing, refusedInSeconds: nil, message: "")
        if quiet < policy.settleSeconds {
            upload.reason = .changing
            upload.message = "still being written (changed \(ageWords(quiet)) ago); taken once complete and quiet for intake.settle_seconds"
        } else if let missing {
            let left = max(0, policy.incompleteAfterSeconds - quiet)
            upload.reason = .incomplete
            upload.refusedInSeconds = left
            let due = left == 0 ? "now" : "in \(ageWords(left))"
            let when = intake != .stopped ? due : left == 0 ? "as soon as opined runs again" : "\(due), if opined is running by then"
            upload.message = "incomplete: \(ReadinessPolicy.words(missing, namingPaths: namingPaths)); unless it changes, it is refused as incomplete \(when) (intake.incomplete_after_hours): the uploader may have stopped"
        } else {
            switch intake {
            case .stopped:
                upload.reason = .opinedStopped
                upload.message = "complete, but opined is not running: it is taken once opined starts"
            case .blocked(let diskFull):
                upload.reason = .intakeBlocked
                upload.message = "complete, but intake is blocked by \(diskFull ? "a full disk" : "an I/O error"): it is retried, and taken once the cause is fixed"
            case .running where special:
                upload.message = "a listed file is a symbolic link or device: opined refuses it as special_file when it looks (opine rejected)"
            case .running where seen.kind == .other:
                upload.message = "neither a bundle folder nor a zip: opined takes it in turn and refuses it with the reason (opine rejected)"
            case .running:
                upload.message = "complete: opined is taking it, or takes it in turn (emergencies first)"
            }
        }
        return upload
    }

    /// A span in words, to the second under a minute: "12s", "42m", "3h 12m" (under two days) or "4d 2h".
    public static func ageWords(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds))
        if whole < 60 { return "\(whole)s" }
        let minutes = whole / 60
        if minutes < 60 { return "\(minutes)m" }
        if minutes < 48 * 60 { return "\(minutes / 60)h \(minutes % 60)m" }
        return "\(minutes / 1440)d \(minutes % 1440 / 60)h"
    }
}
