import Foundation

/// The id of one refusal: the same in the `bundle.rejected` webhook, the quarantine folder's reason.json and
/// `opine rejected`, so an uploader's "refused" page and the practice's list name the same thing. `R-YYYYMMDD-` and
/// 12 random hexadecimal digits: readable on the phone, sortable by day, and not guessable from another refusal.
public enum RejectionID {
    /// A new id for a refusal at `now`; `random` supplies the unique part (a fresh UUID by default).
    public static func make(at now: Date, random: UUID = UUID()) -> String {
        let hex = random.uuidString.lowercased().filter(\.isHexDigit)
        return "R-" + Timestamps.compactDay(now) + "-" + String(hex.prefix(12))
    }

    /// Whether `text` has the form `make` gives.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "R" && parts[1].count == 8 && parts[1].allSatisfy(\.isASCII)
            && parts[1].allSatisfy(\.isNumber) && parts[2].count == 12
            && parts[2].allSatisfy { $0.isASCII && $0.isHexDigit && !$0.isUppercase }
    }
}
