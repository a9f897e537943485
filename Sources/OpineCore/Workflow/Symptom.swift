/// The symptom codes a manifest may carry, each with the priority it implies (docs/bundle-format.md lists them).
public enum Symptom: String, Codable, Sendable, CaseIterable {
    // Cauda equina signs: surgery within hours can decide whether the patient keeps bladder and bowel control.
    /// Emergency: loss of bowel or bladder control.
    case bowelBladderDysfunction = "bowel_bladder_dysfunction"
    /// Emergency: numbness of the saddle area.
    case saddleNumbness = "saddle_numbness"

    /// Urgent: weakness that is getting worse.
    case progressiveWeakness = "progressive_weakness"
    /// Urgent: numbness or tingling.
    case numbnessTingling = "numbness_tingling"
    /// Urgent: trouble keeping balance or walking.
    case balanceOrWalkingDifficulty = "balance_or_walking_difficulty"
    /// Urgent: sudden, severe pain.
    case suddenSeverePain = "sudden_severe_pain"
    /// Urgent: a recent injury.
    case recentTrauma = "recent_trauma"
    /// Urgent: fever or chills.
    case feverChills = "fever_chills"
    /// Urgent: weight loss without a known cause.
    case unexplainedWeightLoss = "unexplained_weight_loss"
    /// Urgent: night sweats.
    case nightSweats = "night_sweats"
    /// Urgent: pain that is worse at rest.
    case painWorseAtRest = "pain_worse_at_rest"

    /// Routine: sciatica.
    case sciatica
    /// Routine: leg pain when walking.
    case legPainWhenWalking = "leg_pain_when_walking"
    /// Routine: back pain.
    case backPain = "back_pain"
    /// Routine: neck pain.
    case neckPain = "neck_pain"
    /// Routine: stiffness.
    case stiffness

    /// The priority this symptom alone calls for, as docs/bundle-format.md tabulates it.
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
