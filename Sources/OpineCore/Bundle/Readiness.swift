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
        /// What keeps it incomplete: the first `Gap.named` gaps seen, in manifest order.
        public var gaps: [Gap]
        /// How many gaps there are in all (`gaps` names only the first few).
        public var gapCount: Int
        /// A listed file that is a symbolic link, FIFO, socket or device (its path as listed): no amount of waiting
        /// makes it a plain file, so the upload is refused at once.
        public var specialEntry: String?

        /// Records one look at an upload.
        public init(complete: Bool, lastChange: Double, gaps: [Gap] = [], gapCount: Int? = nil, specialEntry: String? = nil) {
            self.complete = complete
            self.lastChange = lastChange
            self.gaps = Array(gaps.prefix(Gap.named))
            self.gapCount = gapCount ?? gaps.count
            self.specialEntry = specialEntry
        }

        /// Notes one more gap, keeping only the first `Gap.named`.
        public mutating func note(_ gap: Gap) {
            if gaps.count < Gap.named { gaps.append(gap) }
            gapCount += 1
        }
    }

    /// One thing an incomplete upload still lacks.
    public enum Gap: Sendable, Hashable {
        /// No `manifest.json` at the top of the directory.
        case manifest
        /// The zip's end record cannot be read yet: it is still being written, or was cut short.
        case zipEnd
        /// A listed file (its path as listed) is not there.
        case missing(String)
        /// A listed file is there but shorter than listed.
        case short(String, expected: Int64, found: Int64)

        /// How many gaps a refusal names; the rest are counted.
        public static let named = 3
    }

    /// What to do with an upload after a look at it.
    public enum Decision: Sendable, Equatable {
        /// Take it now.
        case take
        /// Look again at this time (seconds since the epoch), unless something changes first.
        case wait(until: Double)
        /// Refuse it with this rejection: `incomplete` (it stayed incomplete and unchanged for too long, and the
        /// rejection names what is missing) or `special_file` (a listed file is a link or device, refused at once).
        case reject(Rejection)
    }

    /// How often an incomplete upload is looked at again (inotify does not see writes deep inside a bundle).
    public var recheckSeconds: Double { min(max(settleSeconds, 0.25), 5) }

    /// Decides from one look; `renamedIn` means the upload was renamed in whole, so it needs no settling.
    public func decide(_ seen: Observation, now: Double, renamedIn: Bool) -> Decision {
        if let special = seen.specialEntry {
            return .reject(Rejection(
                .specialFile, "bundle entry \(special.escapedForDisplay) is a symbolic link, FIFO, socket or device where manifest.json lists a file or a folder of listed files; upload plain files and folders",
                entry: special))
        }
        let quietFor = now - seen.lastChange
        if seen.complete {
            // A finished bundle renamed into place is taken at once; one written in place must first go quiet.
            if renamedIn || quietFor >= settleSeconds { return .take }
            return .wait(until: seen.lastChange + settleSeconds)
        }
        if quietFor >= incompleteAfterSeconds { return .reject(incomplete(seen)) }
        return .wait(until: min(now + recheckSeconds, seen.lastChange + incompleteAfterSeconds))
    }

    /// The `incomplete` rejection for an upload that stayed as `seen`: what is missing, the first few named and the
    /// rest counted, and the one file at fault as `entry` when there is just one.
    public func incomplete(_ seen: Observation) -> Rejection {
        let hours = String(format: "%.3g", incompleteAfterSeconds / 3600)
        let lead = "the bundle stayed incomplete with no change for \(hours) hours"
        guard !seen.gaps.isEmpty else {
            return Rejection(.incomplete, lead + " (manifest.json missing or listed files missing or short)")
        }
        var single: String?
        if seen.gapCount == 1, case .missing(let path) = seen.gaps[0] { single = path }
        if seen.gapCount == 1, case .short(let path, _, _) = seen.gaps[0] { single = path }
        return Rejection(.incomplete, lead + ": " + Self.words(seen), entry: single)
    }

    /// What `seen` still lacks, in words: the first `Gap.named` gaps, then how many more. `namingPaths` false counts
    /// listed files rather than naming them, for output that may reach a log (`opine status` off a terminal).
    public static func words(_ seen: Observation, namingPaths: Bool = true) -> String {
        var parts: [String] = []
        var unnamed = 0
        for gap in seen.gaps {
            switch gap {
            case .manifest: parts.append("manifest.json is missing")
            case .zipEnd: parts.append("the zip has no readable end record (still being written, or cut short)")
            case .missing(let path) where namingPaths: parts.append("\(path.escapedForDisplay) is not there")
            case .short(let path, let expected, let found) where namingPaths:
                parts.append("\(path.escapedForDisplay) has \(found) of its \(expected) bytes")
            case .missing, .short: unnamed += 1
            }
        }
        let more = seen.gapCount - seen.gaps.count + unnamed
        if more > 0 {
            let files = "listed \(more == 1 ? "file" : "files") missing or short"
            parts.append(unnamed > 0 ? "\(more) \(files)" : "and \(more) more \(files)")
        }
        return parts.joined(separator: "; ")
    }

    /// What a directory upload's listed files show, given the size of every plain file in it and the paths of its
    /// links and devices: a listed special file, and every listed file not there or still short, in listing order.
    /// Intake's look and `opine status` both judge a folder by it.
    public static func observe(
        _ listed: [Manifest.ListedFile], sizes: [String: Int64], special: Set<String>, lastChange: Double
    ) -> Observation {
        var seen = Observation(complete: true, lastChange: lastChange)
        for file in listed {
            if let linked = specialOnPath(file.path, special) {
                seen.specialEntry = seen.specialEntry ?? linked
            } else if let size = sizes[file.path] {
                if size < file.size { seen.note(.short(file.path, expected: file.size, found: size)) }
            } else {
                seen.note(.missing(file.path))
            }
        }
        seen.complete = seen.gapCount == 0 && seen.specialEntry == nil
        return seen
    }

    /// The listed path itself, or the folder on its way, when that is a link or device: a file listed below a
    /// linked folder is as unreachable as a linked file, and no wait changes that.
    private static func specialOnPath(_ path: String, _ special: Set<String>) -> String? {
        guard !special.isEmpty else { return nil }
        if special.contains(path) { return path }
        var prefix = Substring(path)
        while let slash = prefix.lastIndex(of: "/") {
            prefix = prefix[..<slash]
            if special.contains(String(prefix)) { return String(prefix) }
        }
        return nil
    }

    /// Names that are uploads still in progress by convention, never looked at.
    public static func isInProgressName(_ name: String) -> Bool { InProgressMark.of(name) != nil }
}
