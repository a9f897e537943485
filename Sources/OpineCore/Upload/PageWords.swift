/// The request page's choices in a patient's words: the symptoms (emergency ones first), the spine regions and the
/// prior treatments, each with the code the manifest carries. One table, so the page and its tests agree.
public enum PageWords {
    /// One checkbox of the page: the code sent and the words shown.
    public struct Choice: Sendable, Equatable {
        /// The manifest's code (`bowel_bladder_dysfunction`, `lumbar`, `injection`).
        public var code: String
        /// What the patient reads.
        public var words: String
        /// Whether ticking it calls for the emergency advice at once.
        public var emergency: Bool
    }

    /// Every `Symptom`, the emergency ones first, then the urgent, then the routine ones, each group in `Symptom`'s
    /// own order.
    public static var symptoms: [Choice] {
        Symptom.allCases.enumerated()
            .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
            .map { Choice(code: $0.element.rawValue, words: words(for: $0.element), emergency: $0.element.priority == .emergency) }
    }

    /// The regions `request.regions` may name, in the manifest's order, in words.
    public static var regions: [Choice] {
        Manifest.regionCodes.map { code in
            let words =
                switch code {
                case "cervical": "Neck (cervical spine)"
                case "thoracic": "Upper and middle back (thoracic spine)"
                default: "Lower back (lumbar spine)"
                }
            return Choice(code: code, words: words, emergency: false)
        }
    }

    /// The treatments `request.prior_treatments` may name, in words.
    public static var treatments: [Choice] {
        Manifest.treatmentCodes.map { code in
            let words =
                switch code {
                case "physical_therapy": "Physical therapy"
                case "medication": "Medication"
                case "injection": "Injections"
                case "chiropractic": "Chiropractic care"
                default: "Surgery"
                }
            return Choice(code: code, words: words, emergency: false)
        }
    }

    /// A symptom as a patient would say it.
    public static func words(for symptom: Symptom) -> String {
        switch symptom {
        case .bowelBladderDysfunction: "I cannot control my bladder or bowels, or cannot pass urine, and this is new"
        case .saddleNumbness: "Numbness between my legs, around my bottom or genitals (where I would sit on a saddle)"
        case .progressiveWeakness: "Weakness in my arms or legs that is getting worse"
        case .numbnessTingling: "Numbness or tingling in my arms or legs"
        case .balanceOrWalkingDifficulty: "Trouble keeping my balance or walking"
        case .suddenSeverePain: "Sudden, severe pain"
        case .recentTrauma: "A recent fall, accident or injury"
        case .feverChills: "Fever or chills"
        case .unexplainedWeightLoss: "Losing weight without trying"
        case .nightSweats: "Night sweats"
        case .painWorseAtRest: "Pain that is worse at rest or at night"
        case .sciatica: "Pain running down one leg (sciatica)"
        case .legPainWhenWalking: "Leg pain when walking that eases when I sit or bend forward"
        case .backPain: "Back pain"
        case .neckPain: "Neck pain"
        case .stiffness: "Stiffness"
        }
    }
}
