import Foundation
import GRDB
import OpineCore
import OpineTestSupport
import Testing

/// What the purge leaves of a patient whose name is on the uploads and the files: nothing, in the audit chain (which
/// can never forget) or anywhere else in the database.
@Suite("Lifecycle: a purge leaves nothing of the patient's name")
struct LifecyclePatientDataTests {
    /// A patient's name in any case, as the uploads, the manifest and the images' headers (`DOE^JANE`) give it.
    static let patientName = try! NSRegularExpression(pattern: #"jane|\bdoe\b"#, options: [.caseInsensitive])

    static func namesPatient(_ value: DatabaseValue) -> Bool {
        let text: String
        switch value.storage {
        case .string(let string): text = string
        case .blob(let data): text = String(decoding: data, as: UTF8.self)
        default: return false
        }
        return patientName.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Every `table.column` holding the patient's name, but the full-text index's own tables (checked by a search).
    static func leaks(_ db: Database, tables: [String]? = nil) throws -> [String] {
        let names = try tables ?? String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'cases_search%' AND name NOT LIKE 'sqlite_%'
            """)
        var found: Set<String> = []
        for table in names {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") {
                for (column, value) in row where namesPatient(value) { found.insert("\(table).\(column)") }
            }
        }
        return found.sorted()
    }

    @Test("A refused upload, a duplicate, a re-send and a bundle file named after the patient: after the purge no event and no row names her; verify is green")
    func purgeLeavesNoName() throws {
        let sandbox = try Sandbox(LifecycleTests.zeroDays)
        try sandbox.startDaemon()
        let file = Sandbox.patientUploadNames[0]
        let work = try sandbox.workFolder()
        try Samples.pdf.write(to: work.appendingPathComponent(file))
        try sandbox.dropRenamed(work.appendingPathComponent(file), as: file)
        var builder = BundleBuilder(submissionID: "web-named-life")
        builder.files.append((path: file, data: Samples.pdf, kind: "radiology_report", mediaType: "application/pdf"))
        try sandbox.drop(builder, as: Sandbox.patientUploadNames[1])
        try waitUntil("one rejection and one case") { try sandbox.rejections().count == 1 && sandbox.cases().count == 1 }
        try sandbox.drop(builder, as: "Doe, Jane Q. - again")
        try waitUntil("the duplicate is recorded") { try sandbox.rejections().count == 2 }
        var update = builder
        update.manifest["request"] = ["regions": ["lumbar"], "question": "Jane Doe asks again about L4-L5", "symptoms": ["sciatica"]]
        try sandbox.drop(update, as: "Jane Doe re-send")
        let store = try sandbox.store()
        try waitUntil("the re-send is kept as an update") {
            try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM case_updates") } == 1
        }
        let id = try #require(try sandbox.caseID(submission: "web-named-life"))
        #expect(try sandbox.opine(["withdraw", id, "--reason", "Patient asked to withdraw."], extraEnvironment: Sandbox.admin).status == 0)
        #expect(try store.pool.read { try Self.leaks($0, tables: ["events"]) } == [], "nothing named her before the purge either")

        let purged = try sandbox.opine("purge", "--json")
        #expect(purged.status == 0, "\(purged.stdout)\(purged.stderr)")
        #expect(try store.pool.read { try Self.leaks($0) } == [], "no event, and no row of any table, names the patient")
        #expect(try sandbox.opine("verify").status == 0)
        let rejections = try sandbox.rejections()
        #expect(rejections.count == 2 && rejections.allSatisfy { $0["purged_at"] is String && $0["quarantine"] is NSNull }, "\(rejections)")
        #expect(Set(rejections.compactMap { $0["upload"] as? String }) == [UploadDigest.of(file), UploadDigest.of("Doe, Jane Q. - again")])
        let files = try sandbox.opine("show", id, "--json").json()["files"] as? [[String: Any]] ?? []
        #expect(files.compactMap { $0["path"] as? String }.sorted() == ["file-1.pdf", "file-2", "file-3.pdf"], "\(files)")
    }
}
