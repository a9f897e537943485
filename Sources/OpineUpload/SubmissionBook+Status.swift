#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// What became of one of opined's webhooks.
enum WebhookOutcome: Sendable, Equatable {
    /// It names no submission of this service (another uploader's bundle, or one already swept).
    case unknownSubmission
    /// `PatientStatusPolicy` left the record as it was, for this reason.
    case ignored(PatientStatusPolicy.Ignored)
    /// The record now shows this status.
    case applied(PatientStatus)
}

extension SubmissionBook {
    /// Finds the submission a webhook is about (by its submission id, else by its upload digest), lets
    /// `PatientStatusPolicy` decide, and writes the change. One actor call, so two webhooks of one submission never
    /// interleave between reading and writing its record.
    func apply(_ webhook: StatusWebhook) throws -> WebhookOutcome {
        var found = try webhook.submissionID.flatMap { try record(id: $0) }
        if found == nil, let digest = webhook.uploadDigest { found = try record(uploadDigest: digest) }
        guard var record = found else { return .unknownSubmission }
        let current = PatientStatusPolicy.Current(
            status: record.status, emergency: record.emergency, uploadDigest: record.uploadDigest,
            lastWebhookID: record.lastWebhookID, lastEventAt: record.lastEventAt)
        switch PatientStatusPolicy.decide(webhook, current: current) {
        case .ignore(let reason):
            return .ignored(reason)
        case .apply(let change):
            let shown = (record.status, record.emergency, record.refusalCode, record.refusalEntry, record.rejectionID)
            record.status = change.status
            record.emergency = change.emergency
            record.refusalCode = change.refusal?.code
            record.refusalEntry = change.refusal?.entry
            record.rejectionID = change.refusal?.rejectionID
            if shown != (record.status, record.emergency, record.refusalCode, record.refusalEntry, record.rejectionID) {
                record.updatedAt = change.eventAt
            }
            record.lastWebhookID = change.webhookID
            record.lastEventAt = change.eventAt
            try StateFiles.write(record, to: recordPath(record.submissionID))
            return .applied(change.status)
        }
    }

    /// Removes every submission whose status last changed before `now - keptFor`, with its status links and its
    /// digest file, so a link stops working once its record is gone; returns how many went. A file the service
    /// cannot read is left where it is (and named in the error of the next look at it).
    func sweep(now: Date, keptFor: TimeInterval) throws -> Int {
        var removed: Set<String> = []
        for name in try names(in: layout.submissions) where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            guard let record = try? record(id: id), PatientStatusPolicy.isExpired(updatedAt: record.updatedAt, now: now, keptFor: keptFor) else {
                continue
            }
            if Self.isDigest(record.uploadDigest) { unlink(layout.digests + "/" + record.uploadDigest) }
            removed.insert(id)
        }
        guard !removed.isEmpty else { return 0 }
        for name in try names(in: layout.tokens) where !name.hasPrefix(".") {
            let path = layout.tokens + "/" + name
            if let data = FileManager.default.contents(atPath: path), removed.contains(String(decoding: data, as: UTF8.self)) {
                unlink(path)
            }
        }
        // The records go last: a sweep cut short leaves a record whose links still work, never a link to nothing.
        for id in removed { unlink(recordPath(id)) }
        try StateFiles.syncFolder(layout.submissions)
        return removed.count
    }

    private func names(in folder: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw StateFiles.Failure(description: "\(folder): cannot be listed (\(error.localizedDescription)); check the service's permissions")
        }
    }
}
