import Foundation
import GRDB
import OpineCore

/// Supplements: a bundle naming an earlier submission adds its files and information to that case, as
/// `Supplement.decide` decided it.
extension CaseStore {
    /// Finds the case the supplement names, asks Core, and does what it says: quarantine (`.conflict`), an exact
    /// repeat (`.duplicate`), or the files placed into the case's folder beside its own and the information merged.
    func commitSupplement(_ db: Database, _ commit: IntakeCommit, at: String, place: (Placement) throws -> Void) throws -> IntakeOutcome {
        let manifest = commit.manifest
        let current = try supplementedCase(db, named: manifest.supplements ?? "")
        var prior: PriorSupplement?
        var taken: [String] = []
        if let current {
            taken = try String.fetchAll(db, CaseFileRecord.select(CaseFileRecord.Columns.path).filter(CaseFileRecord.Columns.caseID == current.id))
            prior = try priorSupplement(
                db, submissionID: manifest.submissionID, content: commit.contentSHA256, caseID: current.id, manifest: commit.manifestBytes)
        }
        let decision = Supplement.decide(
            manifest, contentSHA256: commit.contentSHA256, against: current?.information, takenPaths: taken, prior: prior)
        switch decision {
        case .refuse(let rejection):
            return .conflict(rejection)
        case .duplicate(let caseID):
            try recordDuplicate(db, commit, of: caseID, matchedBy: .submissionID, at: at)
            return .duplicate(of: caseID, matchedBy: .submissionID)
        case .add(let plan):
            guard let current else { return .conflict(Rejection(.supplementUnknownCase, "supplements names no case")) }
            let byPath = Dictionary(commit.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            let files = plan.placements.compactMap { placement -> CaseFileRecord? in
                guard var file = byPath[placement.bundlePath] else { return nil }
                file.caseID = current.id
                file.path = placement.storedPath
                return file
            }
            let placements = plan.placements.map { placement in
                var placement = placement
                placement.sha256 = byPath[placement.bundlePath].map { $0.storedSHA256 ?? $0.sha256 }
                return placement
            }
            if !placements.isEmpty { try place(.supplement(caseID: current.id, files: placements)) }
            let record = try applyUpdate(db, plan.update, to: current, from: commit, at: at, kind: .supplement, files: files)
            return .updated(caseID: record.id, priority: record.priority, changes: plan.update.changes)
        }
    }

    /// The newest case of the submission a supplement names; failing that, the case that took an upload under that
    /// submission id: a supplement's (a supplement to a supplement adds to the same case), or a re-send's merged into
    /// a case of another submission id.
    private func supplementedCase(_ db: Database, named submissionID: String) throws -> CaseRecord? {
        let bySubmission = try db.cachedStatement(sql: "SELECT * FROM cases WHERE submission_id = ? ORDER BY seq DESC LIMIT 1")
        if let record = try CaseRecord.fetchOne(bySubmission, arguments: [submissionID]) { return record }
        let bySupplement = try db.cachedStatement(sql: """
            SELECT cases.* FROM case_updates JOIN cases ON cases.id = case_updates.case_id
            WHERE case_updates.submission_id = ? ORDER BY case_updates.id DESC LIMIT 1
            """)
        return try CaseRecord.fetchOne(bySupplement, arguments: [submissionID])
    }

    /// The supplement taken before under this submission id with these files for this case, if any, and whether it
    /// had these exact manifest bytes (a re-sent supplement that only brought new information is another row).
    private func priorSupplement(
        _ db: Database, submissionID: String, content: String, caseID: String, manifest: [UInt8]
    ) throws -> PriorSupplement? {
        let columns = CaseUpdateRecord.Columns.self
        let rows = try CaseUpdateRecord
            .filter(columns.submissionID == submissionID && columns.caseID == caseID && columns.contentSHA256 == content
                && columns.kind == CaseUpdateRecord.Kind.supplement.rawValue)
            .order(columns.id).fetchAll(db)
        guard !rows.isEmpty else { return nil }
        return PriorSupplement(contentSHA256: content, sameManifest: rows.contains { $0.manifest == Data(manifest) })
    }
}

extension CaseStore {
    /// Whether a case holds an upload under this submission id (its own, a supplement's or a re-send's): what a
    /// supplement naming it would be added to. Two index seeks; intake asks before copying a supplement.
    package func holdsSubmission(_ submissionID: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM cases WHERE submission_id = ?)
                    OR EXISTS (SELECT 1 FROM case_updates WHERE submission_id = ?)
                """, arguments: [submissionID, submissionID]) ?? false
        }
    }

    /// Whether the case records a file at this path (committed): a file there without a row is a leftover.
    package func caseHasFile(_ caseID: String, path: String) throws -> Bool {
        try pool.read { db in
            try CaseFileRecord.filter(CaseFileRecord.Columns.caseID == caseID && CaseFileRecord.Columns.path == path).fetchCount(db) > 0
        }
    }

    /// The newest unanswered information request of a case, if it waits for the patient.
    func openRequest(_ db: Database, of caseID: String) throws -> InformationRequestRecord? {
        let columns = InformationRequestRecord.Columns.self
        return try InformationRequestRecord.filter(columns.caseID == caseID && columns.answeredAt == nil)
            .order(columns.id.desc).fetchOne(db)
    }

    /// A case's information requests, oldest first.
    public func informationRequests(of caseID: String) throws -> [InformationRequestRecord] {
        let columns = InformationRequestRecord.Columns.self
        return try pool.read { db in try InformationRequestRecord.filter(columns.caseID == caseID).order(columns.id).fetchAll(db) }
    }

    /// A case's addenda, oldest first.
    public func addenda(of caseID: String) throws -> [AddendumRecord] {
        let columns = AddendumRecord.Columns.self
        return try pool.read { db in try AddendumRecord.filter(columns.caseID == caseID).order(columns.id).fetchAll(db) }
    }
}
