import Foundation
import OpineCore

extension Setting {
    /// `retention.*`: how many days each kind of patient data is kept once its clock starts, or "keep".
    static let retentionSettings: [Setting] = [
        retention("rejected_uploads", \.rejectedUploads),
        retention("withdrawn_cases", \.withdrawnCases),
        retention("responded_cases", \.respondedCases),
        retention("delivery_attempts", \.deliveryAttempts),
        retention("orphaned_folders", \.orphanedFolders),
    ]

    private static func retention(_ name: String, _ field: WritableKeyPath<RetentionPolicy, RetentionPeriod> & Sendable) -> Setting {
        Setting(key: "retention.\(name)", allowed: "a number of days from 0 to 36500 (0: at the next purge), or \"keep\"") {
            $1.retention[keyPath: field] = try retentionPeriod($0)
        }
    }

    /// Days as a number (in the environment, its text), or "keep" for never.
    static func retentionPeriod(_ value: RawValue) throws -> RetentionPeriod {
        if let text = value.string, text.trimmingCharacters(in: .whitespaces).lowercased() == "keep" { return .keep }
        if case .file(let item) = value, item.string != nil { throw SettingProblem(reason: "not a number of days") }
        return .after(try number(value, max: 36500) * 86400)
    }
}
