#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineStore

/// The renames one group commit made into the store, so they can be made durable together and undone, while the
/// writer is still held, if the transaction fails. A new case's staged folder becomes its folder in one rename; a
/// supplement's files are renamed one by one into their case's folder, never over anything (a file already at a
/// target is a leftover of an attempt that died before its commit: it is set aside and the commit tried again).
struct PlacedMoves {
    /// (from, to) in the order made.
    private var moves: [(from: String, to: String)] = []
    /// Folders created in a case's folder for supplement files, deepest last.
    private var created: [String] = []
    /// Folders whose entries changed, synced once after the last rename.
    private var touched = Set<String>()
    /// The group's uploads whose staged folder became a case's folder (a supplement's is emptied, and removed).
    private(set) var indices = Set<Int>()

    /// Renames the staged files of upload `index` (in `staged`) as `placement` says.
    mutating func place(_ placement: Placement, from staged: String, index: Int, cases: String) throws {
        switch placement {
        case .newCase(let caseID):
            try move(staged, to: cases + "/" + caseID)
            indices.insert(index)
            touched.insert(cases)
        case .supplement(let caseID, let files):
            let folder = cases + "/" + caseID
            if FileOperations.lstat(folder) == nil {
                try FileOperations.makeDirectory(folder)
                created.append(folder)
                touched.insert(cases)
            }
            for file in files {
                var parent = folder
                for component in file.storedPath.split(separator: "/").dropLast() {
                    let next = parent + "/" + component
                    if FileOperations.lstat(next) == nil {
                        try FileOperations.makeDirectory(next)
                        created.append(next)
                        touched.insert(parent)
                    }
                    parent = next
                }
                try move(staged + "/" + file.bundlePath, to: folder + "/" + file.storedPath, leftover: file.sha256.map { (caseID, $0) })
                touched.insert(parent)
            }
        }
    }

    private mutating func move(_ from: String, to target: String, leftover: (caseID: String, sha256: String)? = nil) throws {
        do {
            try FileOperations.renameNoReplace(from, target)
        } catch where error.code == EEXIST {
            throw Intake.FolderOccupied(path: target, leftover: leftover)
        }
        moves.append((from, target))
    }

    /// Makes every rename and new folder durable: each changed folder synced once.
    func sync(cases: String) throws {
        for folder in touched.sorted(by: { $0.count > $1.count }) { try FileOperations.syncDirectory(folder) }
    }

    /// Moves everything back to staging (for a second try), or removes it (the uploads still hold the files), and
    /// removes the folders made for it.
    mutating func undo(keepingStaged: Bool) {
        for (from, to) in moves.reversed() {
            if keepingStaged, (try? FileOperations.renameNoReplace(to, from)) != nil { continue }
            try? FileOperations.removeTree(to)
        }
        for folder in created.reversed() { rmdir(folder) }
        moves = []
        created = []
        touched = []
        indices = []
    }
}
