/// The kinds a manifest's `files[].kind` may have (docs/bundle-format.md).
public enum FileKind: String, Codable, Sendable, CaseIterable {
    /// The radiologist's report of the MRI.
    case radiologyReport = "radiology_report"
    /// The images: DICOM files.
    case imaging
    /// Anything else the reviewer may want: a DICOMDIR, a preview picture, a note.
    case other
}

/// How a file kept from an MRI CD is listed in the manifest, judged by its bytes and never by its extension (CD
/// files often have none): DICOM by `DICM` after the 128-byte preamble, the others by their signatures.
public enum StudyContent {
    /// How many leading bytes `classify` needs: enough for a DICOM file meta header.
    public static let headBytes = 1024

    /// What the first bytes of a file say it is.
    public enum Verdict: Sendable, Equatable {
        /// Listed with this kind and media type. A text file's UTF-8 is checked over all its bytes as they are copied.
        case listed(FileKind, MediaType)
        /// None of the types a bundle may hold.
        case unsupported
    }

    /// Judges a file of the study folder by its first `headBytes` bytes (fewer when it is shorter) and its name: a
    /// DICOM file is imaging, except a `DICOMDIR` (the CD's index), which is `other`; a PDF, JPEG, PNG or text file
    /// found beside the images is `other`. The radiology report is named by the person packing, not guessed.
    public static func classify(head: [UInt8], path: String) -> Verdict {
        let name = path.split(separator: "/").last.map { $0.uppercased() } ?? ""
        if head.count >= 132, head[128..<132].elementsEqual("DICM".utf8) {
            return .listed(name == "DICOMDIR" ? .other : .imaging, .dicom)
        }
        guard let type = signatureType(head) else { return .unsupported }
        return .listed(.other, type)
    }

    /// The media type a file's first bytes announce (PDF, JPEG, PNG, or text: no NUL and valid UTF-8 so far), or nil.
    /// DICOM is judged by `classify`, whose preamble rule needs 132 bytes.
    public static func signatureType(_ head: [UInt8]) -> MediaType? {
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        guard !head.isEmpty, !head.contains(0) else { return nil }
        // The head may end inside a character: judge only what precedes the last three bytes strictly.
        var validator = UTF8Validator()
        let judged = head.count == headBytes ? Array(head.dropLast(3)) : head
        judged.withUnsafeBytes { validator.consume($0) }
        guard !validator.failed else { return nil }
        return head.count < headBytes && !validator.isValidAtEnd ? nil : .text
    }
}
