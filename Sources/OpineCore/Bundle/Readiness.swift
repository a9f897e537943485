/// When an upload in the drop directory may be taken. Pure, so the rules in docs/bundle-format.md are tested directly.
public struct ReadinessPolicy: Sendable {
    /// How long a complete upload written in place must stay unchanged before it is taken (`intake.settle_seconds`).
    public var settleSeconds: Double
    /// How long an incomplete upload may stay unchanged before it is rejected (`intake.incomplete_after_hours`).
    public var incompleteAfterSeconds: Double

    /// Makes the policy from the intake settings, both in seconds.
    public init(settleSeconds: Double, incompleteAfterSeconds: Double) {
        self.settleSeconds = settleSeconds
        self.incompleteAfterSeconds = incompleteAfterSeconds
    }

    /// What was seen of an upload on one look.
    public struct Observation: Sendable, Equatable {
        /// Manifest present and every listed file at its listed size (directories); end record readable (zips).
        public var complete: Bool
        /// Latest change time of anything in the upload, in seconds since the epoch.
        public var lastChange: Double

        /// Records one look at an upload.
        public init(complete: Bool, lastChange: Double) {
            self.complete = complete
            self.lastChange = lastChange
        }
    }

    /// What to do with an upload after a look at it.
    public enum Decision: Sendable, Equatable {
        /// Take it now.
        case take
        /// Look again at this time (seconds since the epoch), unless something changes first.
        case wait(until: Double)
        /// Reject it as `incomplete`: it has stayed incomplete and unchanged for too long.
        case rejectIncomplete
    }

    /// How often an incomplete upload is looked at again (inotify does not see writes deep inside a bundle).
    public var recheckSeconds: Double { min(max(settleSeconds, 0.25), 5) }

    /// Decides from one look; `renamedIn` means the upload was renamed in whole, so it needs no settling.
    public func decide(_ seen: Observation, now: Double, renamedIn: Bool) -> Decision {
        let quietFor = now - seen.lastChange
        if seen.complete {
            // A finished bundle renamed into place is taken at once; one written in place must first go quiet.
            if renamedIn || quietFor >= settleSeconds { return .take }
            return .wait(until: seen.lastChange + settleSeconds)
        }
        if quietFor >= incompleteAfterSeconds { return .rejectIncomplete }
        return .wait(until: min(now + recheckSeconds, seen.lastChange + incompleteAfterSeconds))
    }

    /// Names that are uploads still in progress by convention, never looked at.
    public static func isInProgressName(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasSuffix("~") { return true }
        let lower = name.lowercased()
        return [".part", ".tmp", ".partial", ".crdownload"].contains { lower.hasSuffix($0) }
    }
}
