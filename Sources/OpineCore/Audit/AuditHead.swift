/// The head of the audit chain: the newest event's id and hash. Kept outside the database (the journal, a remote
/// syslog, the heartbeat file), it proves later that the chain still extends it: a whole chain rewritten and rehashed
/// by someone who can write the database no longer has this hash at this id.
public struct AuditHead: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The event's id (`events.id`, as `opine history` shows it); 0 for an empty chain.
    public var seq: Int64
    /// The event's SHA-256 (64 lowercase hex digits); the genesis hash for an empty chain.
    public var hash: String

    /// A head at `seq` with `hash`.
    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// `SEQ:HASH`, the form opined logs and `opine verify --head` takes.
    public var description: String { "\(seq):\(hash)" }

    /// Reads `SEQ:HASH`; nil unless SEQ is a whole number from 0 and HASH 64 hex digits (any letter case).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq >= 0 else { return nil }
        let hash = parts[1].lowercased()
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        self.init(seq: seq, hash: hash)
    }

    /// Encoded as the string `SEQ:HASH`, the form an operator copies.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes `SEQ:HASH`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let head = AuditHead(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not SEQ:HASH: \(text)")
        }
        self = head
    }
}
