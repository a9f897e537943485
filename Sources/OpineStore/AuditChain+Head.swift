import Foundation
import GRDB
import OpineCore

extension AuditChain {
    /// The newest event's id and hash; `0:` and the genesis hash for an empty chain.
    static func head(_ db: Database) throws -> AuditHead {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1") else {
            return AuditHead(seq: 0, hash: genesis)
        }
        return AuditHead(seq: row["id"], hash: row["hash"] ?? "")
    }

    /// Why the chain in `db` does not extend `head`, or nil when the event at `head.seq` has `head.hash`. A chain
    /// rewritten and rehashed from an earlier event passes the plain check but not this one.
    static func headProblem(_ head: AuditHead, _ db: Database) throws -> String? {
        if head.seq == 0 {
            return head.hash == genesis ? nil : "audit head \(head): event 0 is the empty chain, whose hash is sixty-four zeros"
        }
        guard let hash = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE id = ?", arguments: [head.seq]) else {
            return "audit head \(head): there is no event \(head.seq) any more (the chain was cut or rewritten after the head was recorded)"
        }
        guard hash == head.hash else {
            return "audit head \(head): event \(head.seq) now has hash \(hash); the chain was rewritten after the head was recorded (restore from a backup taken before, and find who could write the database)"
        }
        return nil
    }
}

extension CaseStore {
    /// The audit chain's head now, for opined's log and heartbeat and for `opine verify` to print.
    public func auditHead() throws -> AuditHead {
        try pool.read { try AuditChain.head($0) }
    }

    /// Why the chain does not extend `head` (a head recorded earlier, outside the database), or nil when it does.
    /// Combine with `verify`, which checks every link after it.
    public func headProblem(_ head: AuditHead) throws -> String? {
        try pool.read { try AuditChain.headProblem(head, $0) }
    }
}
