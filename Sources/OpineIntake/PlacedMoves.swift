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
            // Durable before the first rename: after a crash, start-up reads it to find files renamed into the case
            // folder by a commit that never happened (`Reconciler`), however the upload is decided when taken again.
            try PlacingMarker(caseID: caseID, files: files.map { .init(path: $0.storedPath, sha256: $0.sha256 ?? "") })
                .write(into: staged)
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

/// What a supplement's placement is about to rename into a case's folder, written into its staging folder first.
struct PlacingMarker: Codable {
    /// The case whose folder receives the files.
    var caseID: String
    /// Each file's stored path in the case folder and the SHA-256 of its bytes.
    var files: [File]

    /// One file about to be placed.
    struct File: Codable {
        var path: String
        var sha256: String
    }

    /// Hidden, so it can never be a bundle's file (paths starting with "." are refused).
    static let name = ".opine-placing.json"

    /// Writes the marker durably into the staging folder.
    func write(into staged: String) throws {
        try FileOperations.writeDurably(Array(try JSONEncoder().encode(self)), to: staged + "/" + Self.name)
    }

    /// The marker a staging folder holds, if any.
    static func read(from staged: String) -> PlacingMarker? {
        guard case .bytes(let bytes) = FileOperations.readSmallFile(staged + "/" + name, limit: 16 << 20) else { return nil }
        return try? JSONDecoder().decode(PlacingMarker.self, from: Data(bytes))
    }
}
