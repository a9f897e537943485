import Foundation

/// What the intake checks found about a case's images, as codes for lists and webhooks (never names).
public enum CaseFlag: String, Sendable, Codable, CaseIterable, Comparable {
    /// The images name another patient than the manifest (name or birth date differs).
    case patientMismatch = "patient_mismatch"
    /// The images name more than one patient.
    case severalPatients = "several_patients"
    /// A requested region has no MR series covering it.
    case regionNotCovered = "region_not_covered"

    /// In declaration order, so lists of flags read the same everywhere.
    public static func < (lhs: Self, rhs: Self) -> Bool { allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)! }
}

/// The checks a summary gets at intake, and their outcome: pure, so every rule is a unit test
/// (docs/bundle-format.md, "What Opine reads from the images").
public struct StudyChecks: Sendable, Equatable, Codable {
    /// `match`, `mismatch`, or `unknown` when the images name no patient.
    public var patient: PatientMatch
    /// For each requested region, what covers it.
    public var regions: [RegionCoverage]
    /// What the case is flagged for, in `CaseFlag` order.
    public var flags: [CaseFlag]

    /// How the images' patient compares with the manifest's.
    public enum PatientMatch: String, Sendable, Codable {
        /// Every patient the images name is the manifest's (no contradiction on name or birth date).
        case match
        /// A name or a birth date in the images contradicts the manifest.
        case mismatch
        /// The images name no patient (no name, no birth date), or there are no readable images.
        case unknown
    }

    /// Whether MR series cover one requested region, and in which planes.
    public struct RegionCoverage: Sendable, Equatable, Codable {
        /// `cervical`, `thoracic` or `lumbar`.
        public var region: String
        /// "sagittal T1", … : the covering series, as `opine show` names them.
        public var series: [String]
        /// At least one sagittal and one axial series among them.
        public var adequate: Bool

        /// "lumbar: sagittal T1, sagittal T2, axial T2 — adequate"; "cervical: no series found".
        public var text: String {
            guard !series.isEmpty else { return "\(region): no series found" }
            return "\(region): \(series.joined(separator: ", ")) — \(adequate ? "adequate" : "no sagittal and axial pair")"
        }
    }

    /// Checks `summary` against the manifest's patient (`name`, `dateOfBirth` as `YYYY-MM-DD`) and requested regions.
    public init(_ summary: StudySummary, name: String, dateOfBirth: String, regions: [String]) {
        let named = summary.patients
        let contradicts = named.contains { !PatientNames.agree($0, name: name, dateOfBirth: dateOfBirth) }
        patient = named.isEmpty ? .unknown : contradicts ? .mismatch : .match
        self.regions = regions.map { RegionWords.coverage(of: $0, in: summary) }
        var flags = Set<CaseFlag>()
        if contradicts { flags.insert(.patientMismatch) }
        if PatientNames.distinct(named) > 1 { flags.insert(.severalPatients) }
        if self.regions.contains(where: \.series.isEmpty), !summary.studies.isEmpty { flags.insert(.regionNotCovered) }
        self.flags = flags.sorted()
    }

    /// The audit detail of the checks: outcomes as codes, never names.
    public var detail: [String: String] {
        var detail = ["patient_check": patient.rawValue]
        if !regions.isEmpty {
            detail["region_check"] = regions.map { "\($0.region)=\($0.series.isEmpty ? "none" : $0.adequate ? "adequate" : "partial")" }
                .joined(separator: ",")
        }
        if !flags.isEmpty { detail["flags"] = flags.map(\.rawValue).joined(separator: ",") }
        return detail
    }
}

/// Comparing the names and birth dates in images with a manifest's: case-, accent- and order-insensitive, and a
/// missing part is unknown, never a mismatch.
public enum PatientNames {
    /// The words of a name, folded: "Zoë Ångström-Berg" → ["zoe", "angstrom", "berg"].
    public static func words(_ text: String) -> [String] {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    /// An image's patient agrees with the manifest unless the birth dates differ, or the name's words (family,
    /// given, middle) are neither all among the manifest name's words nor include them all.
    public static func agree(_ patient: StudySummary.ImagePatient, name: String, dateOfBirth: String) -> Bool {
        if let born = patient.birthDate, born.count == 8, born != dateOfBirth.replacingOccurrences(of: "-", with: "") { return false }
        guard let imageName = patient.name else { return true }
        let image = Set(words(imageName.split(separator: "^", omittingEmptySubsequences: false).prefix(3).joined(separator: " ")))
        let manifest = Set(words(name))
        guard !image.isEmpty else { return true }
        return image.isSubset(of: manifest) || manifest.isSubset(of: image)
    }

    /// How many different patients these are: two agree when their birth dates do not differ and their name words
    /// overlap as `agree` requires.
    public static func distinct(_ patients: [StudySummary.ImagePatient]) -> Int {
        var groups: [StudySummary.ImagePatient] = []
        for patient in patients where !groups.contains(where: { same($0, patient) }) { groups.append(patient) }
        return groups.count
    }

    private static func same(_ a: StudySummary.ImagePatient, _ b: StudySummary.ImagePatient) -> Bool {
        if let x = a.birthDate, let y = b.birthDate, x != y { return false }
        guard let x = a.name, let y = b.name else { return true }
        let first = Set(words(x.replacingOccurrences(of: "^", with: " "))), second = Set(words(y.replacingOccurrences(of: "^", with: " ")))
        return first.isSubset(of: second) || second.isSubset(of: first)
    }
}
