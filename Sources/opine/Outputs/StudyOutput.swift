import Foundation
import OpineCore

/// `opine show`'s text for what the images are and what the checks found, under the files.
enum StudyOutput {
    /// "MR LUMBAR SPINE, 2026-10-14, 1.5 T" and a line per series; then each requested region and the patient check.
    static func print(_ summary: StudySummary?, checks: StudyChecks?) {
        guard let summary else { return }
        Output.line()
        var heading = "Images: \(summary.studies.count) stud\(summary.studies.count == 1 ? "y" : "ies")"
        if summary.unreadableFiles > 0 { heading += "; \(summary.unreadableFiles) file\(summary.unreadableFiles == 1 ? "" : "s") could not be read" }
        if summary.dicomdirs > 0 { heading += "; DICOMDIR present" }
        Output.line(heading)
        for study in summary.studies {
            let about = [study.modality, study.description, study.date.map(day), study.fieldStrength.map { "\($0) T" }, study.institution]
            Output.line("  " + about.compactMap { $0 }.joined(separator: ", ").escapedForDisplay)
            Output.table(["    SERIES", "DESCRIPTION", "PLANE", "IMAGES", "SLICE"], study.series.map { series in
                ["    " + (series.number.map(String.init) ?? "-"), (series.description ?? series.protocolName ?? "-").escapedForDisplay,
                 (series.plane?.rawValue ?? "-") + (series.isLocalizer ? " (localizer)" : ""), String(series.images),
                 series.sliceThickness.map { "\($0) mm" } ?? "-"]
            })
        }
        guard let checks else { return }
        Output.line("Checks:")
        for region in checks.regions { Output.line("  " + region.text.escapedForDisplay) }
        Output.line("  patient: \(checks.patient.rawValue)" + (checks.flags.isEmpty ? "" : "; flagged: " + checks.flags.map(\.rawValue).joined(separator: ", ")))
    }

    /// `20261014` → `2026-10-14`; anything else as it is.
    private static func day(_ text: String) -> String {
        guard text.count == 8, text.allSatisfy(\.isNumber) else { return text }
        let digits = Array(text)
        return String(digits[0..<4]) + "-" + String(digits[4..<6]) + "-" + String(digits[6..<8])
    }
}
