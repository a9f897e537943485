import Foundation

/// What the images of a case are, read from their DICOM headers at intake: per study and per series, so a surgeon
/// sees at a glance "MR lumbar spine, 2026-10-14, sagittal T1 (15), sagittal T2 (15), axial T2 (40)" without a viewer.
public struct StudySummary: Sendable, Equatable, Codable {
    /// The studies, by date then UID.
    public var studies: [Study]
    /// Imaging files whose data set could not be read (reported on the case, not rejected).
    public var unreadableFiles: Int
    /// DICOMDIR files found (an index of a CD, not an image).
    public var dicomdirs: Int
    /// Each distinct patient the images name (name and birth date as the headers give them), for the wrong-patient
    /// check and the reviewer; patient data, so shown only where the case is.
    public var patients: [ImagePatient] = []

    /// A patient as the images name them.
    public struct ImagePatient: Sendable, Equatable, Codable {
        /// (0010,0010), the alphabetic group as stored (`Family^Given^Middle^Prefix^Suffix`); nil when absent.
        public var name: String?
        /// (0010,0030), `YYYYMMDD`; nil when absent.
        public var birthDate: String?

        enum CodingKeys: String, CodingKey { case name, birthDate = "birth_date" }
    }

    /// One study (Study Instance UID).
    public struct Study: Sendable, Equatable, Codable {
        /// (0020,000D); "unknown" when the files did not say.
        public var uid: String
        /// (0008,0020), `YYYYMMDD` as stored.
        public var date: String?
        /// (0008,1030).
        public var description: String?
        /// (0008,0060) of the study's first series.
        public var modality: String?
        /// (0008,0080).
        public var institution: String?
        /// (0008,0070).
        public var manufacturer: String?
        /// (0008,1090).
        public var model: String?
        /// (0018,0087), tesla.
        public var fieldStrength: Double?
        /// Its series, by number.
        public var series: [Series]

        enum CodingKeys: String, CodingKey {
            case uid, date, description, modality, institution, manufacturer, model, series
            case fieldStrength = "field_strength"
        }
    }

    enum CodingKeys: String, CodingKey {
        case studies, dicomdirs, patients
        case unreadableFiles = "unreadable_files"
    }

    /// One series (Series Instance UID).
    public struct Series: Sendable, Equatable, Codable {
        /// (0020,000E); "unknown" when the files did not say.
        public var uid: String
        /// (0020,0011).
        public var number: Int?
        /// (0008,103E).
        public var description: String?
        /// (0008,0060).
        public var modality: String?
        /// (0018,0015).
        public var bodyPart: String?
        /// (0018,1030).
        public var protocolName: String?
        /// From (0020,0037) Image Orientation (Patient).
        public var plane: Plane?
        /// (0018,0050), millimetres.
        public var sliceThickness: Double?
        /// How many image files the upload holds of it.
        public var images: Int
        /// A localizer (scout) series: `LOCALIZER` in (0008,0008) Image Type.
        public var isLocalizer: Bool

        enum CodingKeys: String, CodingKey {
            case uid, number, description, modality, plane, images
            case bodyPart = "body_part", protocolName = "protocol_name", sliceThickness = "slice_thickness"
            case isLocalizer = "localizer"
        }
    }

    /// The anatomical plane of a series, from the normal of its image orientation.
    public enum Plane: String, Sendable, Codable, CaseIterable {
        /// Normal along the patient's left-right axis.
        case sagittal
        /// Normal along the head-foot axis.
        case axial
        /// Normal along the front-back axis.
        case coronal
        /// Normal not within about 35° of any axis.
        case oblique

        /// The plane of images with these row and column direction cosines (six values), or nil for fewer.
        public init?(orientation values: [Double]) {
            guard values.count == 6 else { return nil }
            let (r, c) = ((values[0], values[1], values[2]), (values[3], values[4], values[5]))
            let normal = [r.1 * c.2 - r.2 * c.1, r.2 * c.0 - r.0 * c.2, r.0 * c.1 - r.1 * c.0].map(abs)
            guard let largest = normal.max(), largest > 0 else { return nil }
            guard largest >= 0.8 else { self = .oblique; return }
            self = [Plane.sagittal, .coronal, .axial][normal.firstIndex(of: largest)!]
        }
    }

    /// An empty summary (no imaging files).
    public init(studies: [Study] = [], unreadableFiles: Int = 0, dicomdirs: Int = 0) {
        self.studies = studies
        self.unreadableFiles = unreadableFiles
        self.dicomdirs = dicomdirs
    }

    /// The summary of the headers read from an upload's imaging files; `unreadable` files had no readable data set.
    public init(headers: [DicomHeader], unreadable: Int) {
        self.init(unreadableFiles: unreadable, dicomdirs: headers.filter(\.isDicomdir).count)
        add(headers.filter { !$0.isDicomdir })
    }

    /// Adds more images (a supplement's): into their study and series when the UIDs are known already.
    public mutating func merge(_ other: StudySummary) {
        unreadableFiles += other.unreadableFiles
        dicomdirs += other.dicomdirs
        for patient in other.patients where !patients.contains(patient) { patients.append(patient) }
        for study in other.studies {
            guard let index = studies.firstIndex(where: { $0.uid == study.uid }) else { studies.append(study); continue }
            for series in study.series {
                if let at = studies[index].series.firstIndex(where: { $0.uid == series.uid }) {
                    studies[index].series[at].images += series.images
                } else {
                    studies[index].series.append(series)
                }
            }
        }
        sort()
    }

    /// Every series of every study.
    public var allSeries: [(study: Study, series: Series)] { studies.flatMap { study in study.series.map { (study, $0) } } }

    private mutating func add(_ headers: [DicomHeader]) {
        for header in headers {
            let patient = ImagePatient(
                name: header.patientName.map { [$0.family, $0.given, $0.middle, $0.prefix, $0.suffix].joined(separator: "^") }
                    .map { $0.replacingOccurrences(of: "\\^+$", with: "", options: .regularExpression) },
                birthDate: header.patientBirthDate)
            if patient.name != nil || patient.birthDate != nil, !patients.contains(patient) { patients.append(patient) }
            let studyUID = header.studyInstanceUID ?? "unknown", seriesUID = header.seriesInstanceUID ?? "unknown"
            if !studies.contains(where: { $0.uid == studyUID }) {
                studies.append(Study(
                    uid: studyUID, date: header.studyDate, description: header.studyDescription, modality: header.modality,
                    institution: header.institutionName, manufacturer: header.manufacturer, model: header.manufacturerModelName,
                    fieldStrength: header.magneticFieldStrength, series: []))
            }
            let index = studies.firstIndex { $0.uid == studyUID }!
            if let at = studies[index].series.firstIndex(where: { $0.uid == seriesUID }) {
                studies[index].series[at].images += 1
            } else {
                studies[index].series.append(Series(
                    uid: seriesUID, number: header.seriesNumber, description: header.seriesDescription, modality: header.modality,
                    bodyPart: header.bodyPartExamined, protocolName: header.protocolName,
                    plane: header.imageOrientationPatient.flatMap(Plane.init(orientation:)), sliceThickness: header.sliceThickness,
                    images: 1, isLocalizer: header.imageType.contains { $0.uppercased() == "LOCALIZER" }))
            }
        }
        sort()
    }

    private mutating func sort() {
        studies.sort { ($0.date ?? "", $0.uid) < ($1.date ?? "", $1.uid) }
        for index in studies.indices { studies[index].series.sort { ($0.number ?? .max, $0.uid) < ($1.number ?? .max, $1.uid) } }
    }
}
