import Foundation
import OpineCore

extension Setting {
    /// `turnaround.<priority>_<step>_within` for each priority and step, then the re-announce interval. One setting
    /// per target, so each has its own environment override like every other key.
    static let turnaroundSettings: [Setting] = Priority.allCases.flatMap { priority in
        [
            target(priority, "triaged", leaving: .received),
            target(priority, "reviewed", leaving: .triaged),
            target(priority, "responded", leaving: .reviewed),
        ]
    } + [
        Setting(key: "turnaround.emergency_reannounce_interval", allowed: "a duration such as \"15m\", from 1 s to 1 day") {
            $1.turnaround.emergencyReannounceInterval = try duration($0, min: 1, max: 86400)
        },
        Setting(key: "turnaround.information_reminder_after", allowed: "a duration such as \"7d\", from 1 s to 365 days") {
            $1.turnaround.informationReminderAfter = try duration($0, min: 1, max: 365 * 86400)
        },
    ]

    /// A due time counted from receipt; seconds are allowed so tests (and drills) can watch a case fall due.
    private static func target(_ priority: Priority, _ step: String, leaving state: CaseState) -> Setting {
        Setting(
            key: "turnaround.\(priority.rawValue)_\(step)_within",
            allowed: "a duration from receipt such as \"15m\", \"4h\" or \"2d\", from 1 s to 365 days"
        ) {
            $1.turnaround[priority].set(state, try duration($0, min: 1, max: 365 * 86400))
        }
    }
}
