import Foundation

/// The one table of words that say which part of the spine a series shows, as scanners and sites write them in Body
/// Part Examined, the study and series descriptions and the protocol name (docs/bundle-format.md lists it). Matched
/// as whole words or word beginnings, ignoring case, accents and the separators sites use (`L-SPINE`, `L_SPINE`).
public enum RegionWords {
    /// Per region code of the manifest, the words that name it (already folded: upper case, no separators).
    public static let table: [String: [String]] = [
        "cervical": ["CSPINE", "CERVICAL", "CERVIX", "HWS", "CS", "NECK", "CWS"],
        "thoracic": ["TSPINE", "THORACIC", "THSPINE", "BWS", "DORSAL", "TS", "THORAX"],
        "lumbar": ["LSPINE", "LUMBAR", "LUMBOSACRAL", "LWS", "LS", "LSSPINE", "SACRUM"],
    ]

    /// The words of a header value, folded the way `table` is: "t2_tse_sag L-Spine" → ["T2", "TSE", "SAG", "LSPINE"].
    static func words(_ text: String) -> [String] {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).uppercased()
        // "L-SPINE" and "L SPINE" are one word: a single letter joined to SPINE.
        let joined = folded.replacingOccurrences(of: "\\b([CTL]|TH|LS)[-_ ]+SPINE", with: "$1SPINE", options: .regularExpression)
        return joined.split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    /// Whether a series (in its study) shows `region`, by any of its texts.
    public static func shows(_ region: String, series: StudySummary.Series, study: StudySummary.Study) -> Bool {
        guard let names = table[region] else { return false }
        let texts = [series.bodyPart, series.description, series.protocolName, study.description].compactMap { $0 }
        return texts.flatMap(words).contains { word in names.contains { word == $0 || (word.count > 3 && $0.count > 3 && word.hasPrefix($0)) } }
    }

    /// The MR series that cover `region` (localizers left out) and whether a sagittal and an axial one are among them.
    public static func coverage(of region: String, in summary: StudySummary) -> StudyChecks.RegionCoverage {
        let covering = summary.allSeries.filter { pair in
            !pair.series.isLocalizer && (pair.series.modality ?? pair.study.modality ?? "MR") == "MR"
                && shows(region, series: pair.series, study: pair.study)
        }
        let planes = Set(covering.compactMap(\.series.plane))
        return StudyChecks.RegionCoverage(
            region: region, series: covering.map { name(of: $0.series) },
            adequate: planes.contains(.sagittal) && planes.contains(.axial))
    }

    /// "sagittal T1" from the plane and the weighting the description or protocol names; else the description.
    public static func name(of series: StudySummary.Series) -> String {
        let texts = [series.description, series.protocolName].compactMap { $0 }.flatMap(words)
        let weighting = ["T1", "T2", "STIR", "PD", "FLAIR", "DWI"].first { w in texts.contains { $0 == w || $0.hasPrefix(w) && $0.count <= 4 } }
        let parts = [series.plane?.rawValue, weighting].compactMap { $0 }
        return parts.isEmpty ? (series.description ?? "series \(series.number.map(String.init) ?? "?")") : parts.joined(separator: " ")
    }
}
