// TEMPORARY: the header reader's API as agreed, until the reader's branch is merged (then this file goes).
public struct DicomPersonName: Sendable, Equatable { public var family, given, middle, prefix, suffix: String
    public init(family: String, given: String = "", middle: String = "", prefix: String = "", suffix: String = "") { self.family = family; self.given = given; self.middle = middle; self.prefix = prefix; self.suffix = suffix } }
public struct DicomHeader: Sendable, Equatable {
    public var transferSyntax: String?; public var mediaStorageSOPClass: String?; public var sopClassUID: String?
    public var patientName: DicomPersonName?; public var patientBirthDate: String?; public var patientID: String?
    public var studyInstanceUID: String?; public var studyDate: String?; public var studyDescription: String?; public var modality: String?
    public var institutionName: String?; public var manufacturer: String?; public var manufacturerModelName: String?
    public var magneticFieldStrength: Double?; public var seriesInstanceUID: String?; public var seriesNumber: Int?
    public var seriesDescription: String?; public var bodyPartExamined: String?; public var protocolName: String?
    public var imageOrientationPatient: [Double]?; public var sliceThickness: Double?; public var imageType: [String] = []
    public var isDicomdir: Bool { mediaStorageSOPClass == "1.2.840.10008.1.3.10" }
    public init() {}
}
public enum DicomReadProblem: Error, Sendable, Equatable { case notDicom, truncated(String), unsupportedTransferSyntax(String), limitExceeded(String), malformed(String) }
public enum DicomHeaderReader {
    public static let maxHeaderBytes = 1 << 20
    public static func read(_ bytes: UnsafeRawBufferPointer, isComplete: Bool) -> Result<DicomHeader, DicomReadProblem> { .failure(.notDicom) }
    public static func read(_ bytes: [UInt8], isComplete: Bool) -> Result<DicomHeader, DicomReadProblem> { .failure(.notDicom) }
}
