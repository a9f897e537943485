/// The symptom codes a manifest may carry, each with the priority it implies (docs/bundle-format.md lists them).
public enum Symptom: String, Codable, Sendable, CaseIterable {
    // Cauda equina signs: surgery within hours can decide whether the patient keeps bladder and bowel control.
    case bowelBladderDysfunction = "bowel_bladder_dysfunction"
    case saddleNumbness = "saddle_numbness"

    case progressiveWeakness = "progressive_weakness"
    case numbnessTingling = "numbness_tingling"
    case balanceOrWalkingDifficulty = "balance_or_walking_difficulty"
    case suddenSeverePain = "sudden_severe_pain"
    case recentTrauma = "recent_trauma"
    case feverChills = "fever_chills"
    case unexplainedWeightLoss = "unexplained_weight_loss"
    case nightSweats = "night_sweats"
    case painWorseAtRest = "pain_worse_at_rest"

    case sciatica
    case legPainWhenWalking = "leg_pain_when_walking"
    case backPain = "back_pain"
    case neckPain = "neck_pain"
    case stiffness

    public var priority: Priority {
        switch self {
        case .bowelBladderDysfunction, .saddleNumbness:
            .emergency
        case .progressiveWeakness, .numbnessTingling, .balanceOrWalkingDifficulty, .suddenSeverePain, .recentTrauma,
            .feverChills, .unexplainedWeightLoss, .nightSweats, .painWorseAtRest:
            .urgent
        case .sciatica, .legPainWhenWalking, .backPain, .neckPain, .stiffness:
            .routine
        }
    }
}

extension Priority {
    /// The most severe priority any of the symptoms implies; no symptoms at all is routine.
    public init(symptoms: some Sequence<Symptom>) {
        self = symptoms.map(\.priority).min() ?? .routine
    }
}
