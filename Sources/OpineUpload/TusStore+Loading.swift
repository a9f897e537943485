#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore

extension TusStore {
    /// Reads what a previous run left: drafts, uploads (offset from the bytes file's size, last activity from its
    /// modification time), so a patient's upload resumes across a restart. Leftovers that belong to nothing (an
    /// upload whose draft is gone, a bytes file without its description, a half-written state file or log line, a
    /// bundle left half-built by a crash) are removed.
    func load() throws {
        let draftNames = (try? FileManager.default.contentsOfDirectory(atPath: layout.drafts)) ?? []
        for name in draftNames where !name.hasSuffix(TusStore.uploadLogSuffix) {
            let path = layout.drafts + "/" + name
            guard name.hasSuffix(".json"), TusStore.isID(String(name.dropLast(5))),
                let record = try? StateFiles.read(DraftRecord.self, from: path)
            else {
                unlink(path)
                continue
            }
            drafts[record.id] = Draft(record: record, lastActivity: Self.modified(path) ?? record.createdAt)
        }
        for name in draftNames where name.hasSuffix(TusStore.uploadLogSuffix) {
            let draft = String(name.dropLast(TusStore.uploadLogSuffix.count))
            guard drafts[draft] != nil, let log = FileManager.default.contents(atPath: uploadLogPath(draft)) else {
                unlink(layout.drafts + "/" + name)
                continue
            }
            // A line a crash cut short does not decode and is passed over; the next append starts a new line.
            let lines = log.split(separator: UInt8(ascii: "\n"))
            for line in lines {
                if let record = StateFiles.decode(UploadRecord.self, from: Data(line)), record.draft == draft { loadUpload(record) }
            }
            drafts[draft]?.logLines = lines.count
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.uploads)) ?? [] where uploads[name] == nil {
            unlink(layout.uploads + "/" + name)
        }
        repairSent()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.bundles)) ?? [] {
            try? FileManager.default.removeItem(atPath: layout.bundles + "/" + name)
        }
    }

    private func loadUpload(_ record: UploadRecord) {
        guard TusStore.isID(record.id), uploads[record.id] == nil, var draft = drafts[record.draft] else { return }
        var info = stat()
        guard stat(bytesPath(record.id), &info) == 0, info.st_size <= record.length else { return }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec))
        uploads[record.id] = Upload(record: record, offset: Int64(info.st_size), lastActivity: modified)
        draft.uploads.insert(record.id)
        draft.pathKeys.insert(TusStore.key(role: record.role, path: record.path))
        draft.bytes += record.length
        draft.lastActivity = max(draft.lastActivity, modified)
        drafts[record.draft] = draft
    }

    private static func modified(_ path: String) -> Date? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec))
    }
}

extension TusStore {
    /// Sweeps expired uploads and drafts every quarter of the expiry (at least every second, at most every five
    /// minutes) for as long as the service runs.
    func sweepForever(logger: Logger) async {
        let interval = min(300, max(1, policy.expirySeconds / 4))
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(interval))
            let swept = sweep()
            if swept.uploads + swept.drafts > 0 {
                logger.info("expired", metadata: ["uploads": "\(swept.uploads)", "drafts": "\(swept.drafts)"])
            }
        }
    }
}
