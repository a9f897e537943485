/// The uploads that are ready to be taken, in the order intake takes them, and which of them each lane may take.
/// Pure, so the rule that a red flag never waits behind routine work or behind a large study is tested directly
/// (docs/bundle-format.md, "Order of intake").
///
/// Intake runs two lanes. The main lane takes any upload, most urgent first, then oldest. The express lane takes only
/// uploads that are small or emergencies, so a small urgent upload is never stuck behind a multi-gigabyte study, and
/// a flood of small uploads is worked through by both lanes at once.
public struct IntakeQueue: Sendable {
    /// A lane of intake: each takes one upload at a time, on a thread of its own.
    public enum Lane: String, Sendable, CaseIterable {
        /// Takes any upload.
        case main
        /// Takes only emergencies and uploads of at most `expressMaxBytes`.
        case express
    }

    /// One upload ready to be taken.
    public struct Entry: Sendable, Equatable {
        /// Its name in the drop directory.
        public var name: String
        /// Its priority hint (emergency first), from the manifest read by readiness; routine when unknown.
        public var priority: Priority
        /// The bytes it holds, as readiness saw them.
        public var bytes: Int64
        /// When intake first saw it: a larger number is a later arrival.
        public var arrival: UInt64

        /// Describes one ready upload.
        public init(name: String, priority: Priority, bytes: Int64, arrival: UInt64) {
            self.name = name
            self.priority = priority
            self.bytes = bytes
            self.arrival = arrival
        }

        /// Most urgent first, then first come, then by name (so the order never depends on a hash table).
        func precedes(_ other: Entry) -> Bool {
            (priority.rank, arrival, name) < (other.priority.rank, other.arrival, other.name)
        }
    }

    /// The largest upload the express lane takes unless it is an emergency (`intake.express_lane_max_bytes`).
    public var expressMaxBytes: Int64
    /// Kept in taking order; a flood is thousands long, so insertion is a binary search and one move.
    private var entries: [Entry] = []
    /// The names in `entries`, so asking whether one waits costs no walk through thousands.
    private var names: Set<String> = []

    /// An empty queue whose express lane takes uploads of at most `expressMaxBytes`.
    public init(expressMaxBytes: Int64) {
        self.expressMaxBytes = expressMaxBytes
    }

    /// How many uploads are waiting to be taken.
    public var count: Int { entries.count }

    /// Whether the named upload is waiting in the queue.
    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// Adds (or re-ranks) an upload.
    public mutating func insert(_ entry: Entry) {
        remove(entry.name)
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].precedes(entry) { low = middle + 1 } else { high = middle }
        }
        entries.insert(entry, at: low)
        names.insert(entry.name)
    }

    /// Drops an upload that changed or vanished; it is looked at again before it is queued again.
    public mutating func remove(_ name: String) {
        guard names.remove(name) != nil else { return }
        entries.removeAll { $0.name == name }
    }

    /// Whether `lane` may take this upload.
    public func accepts(_ lane: Lane, _ entry: Entry) -> Bool {
        switch lane {
        case .main: true
        case .express: entry.priority == .emergency || entry.bytes <= expressMaxBytes
        }
    }

    /// The most uploads one group holds (`nextGroup`).
    public static let groupLimit = 16

    /// Removes and returns what `lane` takes next: the first upload it may take and, unless that is an emergency,
    /// the small uploads right behind it, up to `groupLimit` and `expressMaxBytes` together. A group is made durable
    /// and committed at once (one durability point, one transaction), which is what makes a burst of small bundles
    /// cheap; an emergency is always taken alone, so nothing is committed with it that could delay it. Empty when
    /// the lane may take none of those waiting.
    public mutating func nextGroup(for lane: Lane) -> [Entry] {
        guard let first = next(for: lane) else { return [] }
        var group = [first], bytes = first.bytes
        guard first.priority != .emergency, first.bytes <= expressMaxBytes else { return group }
        while group.count < Self.groupLimit, let candidate = entries.first, candidate.priority != .emergency,
              accepts(lane, candidate), bytes + candidate.bytes <= expressMaxBytes {
            bytes += candidate.bytes
            group.append(candidate)
            names.remove(candidate.name)
            entries.removeFirst()
        }
        return group
    }

    /// Removes and returns the first upload `lane` may take; nil when it may take none of those waiting.
    public mutating func next(for lane: Lane) -> Entry? {
        guard let index = entries.firstIndex(where: { accepts(lane, $0) }) else { return nil }
        names.remove(entries[index].name)
        return entries.remove(at: index)
    }
}
