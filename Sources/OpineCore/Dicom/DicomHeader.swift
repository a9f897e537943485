/// A DICOM person name (PN) as its alphabetic component group spells it: `Family^Given^Middle^Prefix^Suffix`.
/// The ideographic and phonetic groups (after `=`) are dropped: the patient checks compare the alphabetic one.
public struct DicomPersonName: Sendable, Equatable {
    /// The family name, first component; "" when absent.
    public var family: String
    /// The given name, second component; "" when absent.
    public var given: String
    /// The middle name, third component; "" when absent.
    public var middle: String
    /// The name prefix ("Dr"), fourth component; "" when absent.
    public var prefix: String
    /// The name suffix ("Jr"), fifth component; "" when absent.
    public var suffix: String

    /// A name from its five components, each "" when absent.
    public init(family: String = "", given: String = "", middle: String = "", prefix: String = "", suffix: String = "") {
        self.family = family
        self.given = given
        self.middle = middle
        self.prefix = prefix
        self.suffix = suffix
    }
}

/// The header tags Opine uses from one DICOM file: enough for the study summary and the patient and region checks.
/// Every tag is read from the top level of the data set only (never from inside a sequence, where the same tags
/// describe other, referenced objects). A tag that is absent, or present but empty, is nil; a number that does not
/// parse is nil too, since one odd value must not make the whole header unreadable.
public struct DicomHeader: Sendable, Equatable {
    /// (0002,0010) Transfer Syntax UID, from the file meta group.
    public var transferSyntax: String?
    /// (0002,0002) Media Storage SOP Class UID, from the file meta group.
    public var mediaStorageSOPClass: String?
    /// (0008,0016) SOP Class UID.
    public var sopClassUID: String?
    /// (0010,0010) Patient's Name, decoded with (0008,0005) Specific Character Set.
    public var patientName: DicomPersonName?
    /// (0010,0030) Patient's Birth Date as stored, YYYYMMDD.
    public var patientBirthDate: String?
    /// (0010,0020) Patient ID.
    public var patientID: String?
    /// (0020,000D) Study Instance UID.
    public var studyInstanceUID: String?
    /// (0008,0020) Study Date as stored, YYYYMMDD.
    public var studyDate: String?
    /// (0008,1030) Study Description.
    public var studyDescription: String?
    /// (0008,0060) Modality.
    public var modality: String?
    /// (0008,0080) Institution Name.
    public var institutionName: String?
    /// (0008,0070) Manufacturer.
    public var manufacturer: String?
    /// (0008,1090) Manufacturer's Model Name.
    public var manufacturerModelName: String?
    /// (0018,0087) Magnetic Field Strength in tesla.
    public var magneticFieldStrength: Double?
    /// (0020,000E) Series Instance UID.
    public var seriesInstanceUID: String?
    /// (0020,0011) Series Number.
    public var seriesNumber: Int?
    /// (0008,103E) Series Description.
    public var seriesDescription: String?
    /// (0018,0015) Body Part Examined.
    public var bodyPartExamined: String?
    /// (0018,1030) Protocol Name.
    public var protocolName: String?
    /// (0020,0037) Image Orientation (Patient): the row and column direction cosines, six values, or nil.
    public var imageOrientationPatient: [Double]?
    /// (0018,0050) Slice Thickness in millimetres.
    public var sliceThickness: Double?
    /// (0008,0008) Image Type, its backslash-separated values; [] when absent.
    public var imageType: [String]

    /// A DICOMDIR (the index of a CD or DVD) describes other files and is no image itself.
    public var isDicomdir: Bool { mediaStorageSOPClass == "1.2.840.10008.1.3.10" }

    /// An empty header: every tag absent.
    public init() {
        imageType = []
    }
}

/// Why a file's header could not be read. Each case names the problem so a case can say why a file is unreadable.
public enum DicomReadProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// No "DICM" at byte 128: not a DICOM Part 10 file.
    case notDicom
    /// An element or its value runs past the end of a complete file.
    case truncated(String)
    /// The data set's transfer syntax is one the reader cannot walk (deflated, or unknown); carries the UID.
    case unsupportedTransferSyntax(String)
    /// A bound was reached: nesting depth, element count, a value's length, or a header longer than the prefix given.
    case limitExceeded(String)
    /// The bytes break DICOM's encoding rules (odd lengths, misplaced delimiters, a value past its sequence).
    case malformed(String)

    /// One line for a case history or a log.
    public var description: String {
        switch self {
        case .notDicom: "not DICOM: no DICM marker at byte 128"
        case .truncated(let what): "truncated: \(what)"
        case .unsupportedTransferSyntax(let uid): "unsupported transfer syntax \(uid)"
        case .limitExceeded(let what): "limit exceeded: \(what)"
        case .malformed(let what): "malformed: \(what)"
        }
    }
}
