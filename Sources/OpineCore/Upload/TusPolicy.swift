import Foundation

/// The tus 1.0 decisions of the upload service, without I/O: whether a new upload may be created, whether a PATCH
/// may write where and how much it says, and when an upload expires. The service acts on what these return.
public struct TusPolicy: Sendable, Equatable {
    /// The largest single file (`limits.max_file_bytes`).
    public var maxFileBytes: Int64
    /// The largest request, all its files together (`limits.max_request_bytes`).
    public var maxRequestBytes: Int64
    /// The most files in one request (`limits.max_files`).
    public var maxFiles: Int
    /// The largest body of one PATCH (`limits.max_chunk_bytes`).
    public var maxChunkBytes: Int64
    /// How long an upload may sit idle before it is removed with its bytes (`uploads.expire_after_hours`).
    public var expirySeconds: Double

    /// A policy with these limits.
    public init(maxFileBytes: Int64, maxRequestBytes: Int64, maxFiles: Int, maxChunkBytes: Int64, expirySeconds: Double) {
        self.maxFileBytes = maxFileBytes
        self.maxRequestBytes = maxRequestBytes
        self.maxFiles = maxFiles
        self.maxChunkBytes = maxChunkBytes
        self.expirySeconds = expirySeconds
    }

    /// Why a request is refused: the HTTP status the contract gives it and a sentence for the patient.
    public struct Refusal: Error, Sendable, Equatable {
        /// The status code (400, 409, 413, …).
        public var status: Int
        /// The problem and what to do, in words for a patient; never repeats a file's name.
        public var sentence: String

        /// A refusal with `status` and `sentence`.
        public init(_ status: Int, _ sentence: String) {
            self.status = status
            self.sentence = sentence
        }
    }

    /// Whether a file of `length` bytes may join a draft that already has `files` uploads totalling `bytes`.
    public func create(length: Int64?, draftFiles files: Int, draftBytes bytes: Int64) -> Refusal? {
        guard let length else {
            return Refusal(400, "The upload did not say its size (Upload-Length); reload the page and try again.")
        }
        guard length >= 0 else { return Refusal(400, "The upload's size (Upload-Length) is not a whole number of bytes.") }
        if length > maxFileBytes {
            return Refusal(413, "This file is larger than the \(Self.size(maxFileBytes)) the practice accepts per file; send the rest and call the practice about it.")
        }
        if files + 1 > maxFiles {
            return Refusal(413, "A request may hold at most \(maxFiles) files; leave out what is not the study, or call the practice.")
        }
        if bytes + length > maxRequestBytes {
            return Refusal(413, "A request may hold at most \(Self.size(maxRequestBytes)) in all; leave out what is not the study, or call the practice.")
        }
        return nil
    }

    /// Whether a PATCH claiming `claimedOffset` with a body of `chunkLength` bytes (nil when not announced) may
    /// write to an upload at `offset` of `length`.
    public func patch(claimedOffset: Int64?, chunkLength: Int64?, offset: Int64, length: Int64) -> Refusal? {
        guard let claimedOffset, claimedOffset >= 0 else {
            return Refusal(400, "The upload did not say where it continues (Upload-Offset); reload the page to resume.")
        }
        guard claimedOffset == offset else {
            return Refusal(409, "The upload continued from the wrong place; the page asks the service where it stopped and resumes from there.")
        }
        if let chunkLength {
            if chunkLength > maxChunkBytes {
                return Refusal(413, "A piece of an upload may be at most \(Self.size(maxChunkBytes)); the page sends smaller pieces.")
            }
            if offset + chunkLength > length {
                return Refusal(413, "This piece would pass the file's declared size; reload the page to send the file again.")
            }
        }
        return nil
    }

    /// Whether `received` bytes of a PATCH body may still be written: within the chunk limit and the declared length.
    public func mayWrite(received: Int64, from offset: Int64, length: Int64) -> Refusal? {
        if received > maxChunkBytes {
            return Refusal(413, "A piece of an upload may be at most \(Self.size(maxChunkBytes)); the page sends smaller pieces.")
        }
        if offset + received > length {
            return Refusal(413, "This piece would pass the file's declared size; reload the page to send the file again.")
        }
        return nil
    }

    /// The free space kept on the staging file system beyond every upload's length (1 GiB), so one client cannot fill
    /// the file system opined's drop directory lives on.
    public static let reserveBytes: Int64 = 1 << 30

    /// Whether a file of `length` bytes fits in `freeBytes` of the staging file system with the reserve left: 507
    /// with a sentence for the patient when it does not.
    public func room(freeBytes: Int64, length: Int64) -> Refusal? {
        guard freeBytes < length + Self.reserveBytes else { return nil }
        return Refusal(507, "The practice's server is out of room for uploads just now; try again later, or call the practice.")
    }

    /// Whether a draft has expired at `now`: its uploads live and die with it, so its last activity is the latest of
    /// its own and every upload's (a finished file never expires while another of the request is still being sent).
    public func draftExpired(lastActivity: Date, uploadActivities: some Sequence<Date>, now: Date) -> Bool {
        isExpired(lastActivity: uploadActivities.reduce(lastActivity, max), now: now)
    }

    /// When an upload last touched at `lastActivity` expires.
    public func expiry(lastActivity: Date) -> Date { lastActivity.addingTimeInterval(expirySeconds) }

    /// Whether an upload or draft last touched at `lastActivity` has expired at `now`.
    public func isExpired(lastActivity: Date, now: Date) -> Bool { now >= expiry(lastActivity: lastActivity) }

    /// The whole file's SHA-256 an upload keeps for its bundle after a PATCH from `start` to `end`, given what it kept
    /// before (`known`, for bytes ending at `before`) and the PATCH's checked `Upload-Checksum` digest: a checked PATCH
    /// that brought all `length` bytes from 0 proves it; a PATCH that moved nothing keeps what was known; any other
    /// leaves none (the pack then hashes the file itself).
    public static func wholeFileDigest(
        checked: [UInt8]?, start: Int64, end: Int64, length: Int64, known: [UInt8]?, before: Int64
    ) -> [UInt8]? {
        if let checked, start == 0, end == length { return checked }
        return end == before ? known : nil
    }

    /// A size in the units a patient reads (`2 GiB`, `64 MiB`).
    static func size(_ bytes: Int64) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
