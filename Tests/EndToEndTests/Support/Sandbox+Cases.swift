import Foundation
import GRDB
import OpineTestSupport
import Testing

extension Sandbox {
    /// The user the tests run as, named the way `opine` names whoever runs it; `admin` makes them a workflow admin.
    static let login = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? ProcessInfo.processInfo.environment["USER"] ?? ""
    /// Extra environment for `opine` that makes the test user a workflow admin.
    static let admin = ["OPINE_WORKFLOW_ADMINS": login]

    /// A sandbox with a running daemon and `count` received cases; returns it with the case ids in order.
    static func withCases(_ count: Int, settings: [String: String] = [:]) throws -> (Sandbox, [String]) {
        let sandbox = try Sandbox(settings)
        try sandbox.startDaemon()
        let ids = try sandbox.addCases((0..<count).map { BundleBuilder(submissionID: "web-flow-\($0)") })
        return (sandbox, ids)
    }

    /// Writes `builder` as a directory bundle outside the spool and renames it into the drop directory as `name`
    /// (its submission id unless given), as an upload service would. Does not wait for it to be taken.
    func drop(_ builder: BundleBuilder, as name: String? = nil) throws {
        let name = name ?? builder.submissionID
        try dropRenamed(try builder.writeDirectory(in: try workFolder(), name: name), as: name)
    }

    /// Drops bundles and waits until they are cases; returns their ids in the builders' order (two intake lanes
    /// may commit them in another).
    func addCases(_ builders: [BundleBuilder]) throws -> [String] {
        let before = try cases().count
        for builder in builders { try drop(builder) }
        try waitUntil("\(builders.count) more cases exist") { try self.cases().count == before + builders.count }
        return try builders.map { builder in
            try #require(try caseID(submission: builder.submissionID), "no case for \(builder.submissionID)")
        }
    }

    /// The newest case stored under this submission id.
    func caseID(submission: String) throws -> String? {
        try store().pool.read { db in
            try String.fetchOne(db, sql: "SELECT id FROM cases WHERE submission_id = ? ORDER BY seq DESC LIMIT 1", arguments: [submission])
        }
    }
}

/// Runs `body` on `count` threads at once; returns the results in index order.
func runConcurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let group = DispatchGroup()
    let lock = NSLock()
    nonisolated(unsafe) var results: [Int: Result<T, Error>] = [:]
    for index in 0..<count {
        DispatchQueue.global().async(group: group) {
            let result = Result { try body(index) }
            lock.withLock { results[index] = result }
        }
    }
    group.wait()
    return try (0..<count).map { try results[$0]!.get() }
}
