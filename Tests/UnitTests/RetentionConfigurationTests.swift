import Foundation
import OpineConfiguration
import OpineCore
import Testing

@Suite("[retention] in opine.toml: shipped defaults, days or \"keep\", environment overrides, bad values")
struct RetentionConfigurationTests {
    @Test("The shipped configuration holds the policy's defaults")
    func shippedDefaults() throws {
        let configuration = try Configuration.load(explicitPath: ConfigurationLoadingTests.shipped.path, environment: [:])
        #expect(configuration.retention == RetentionPolicy())
    }

    @Test("Days (fractions too) or \"keep\", in the file and the environment")
    func values() throws {
        let configuration = try Configuration.load(explicitPath: ConfigurationLoadingTests.shipped.path, environment: [
            "OPINE_RETENTION_RESPONDED_CASES": "3650", "OPINE_RETENTION_WITHDRAWN_CASES": "0",
            "OPINE_RETENTION_ORPHANED_FOLDERS": "0.5", "OPINE_RETENTION_DELIVERY_ATTEMPTS": "keep",
        ])
        #expect(configuration.retention.respondedCases == .after(3650 * 86400))
        #expect(configuration.retention.withdrawnCases == .after(0))
        #expect(configuration.retention.orphanedFolders == .after(43200))
        #expect(configuration.retention.deliveryAttempts == .keep)
    }

    @Test("A negative number, a duration string or a word other than keep is refused, naming the key")
    func badValues() throws {
        let text = try String(contentsOf: ConfigurationLoadingTests.shipped, encoding: .utf8)
        for bad in ["-1", "\"30d\"", "\"forever\""] {
            let changed = text.replacingOccurrences(of: "rejected_uploads = 30", with: "rejected_uploads = \(bad)")
            let error = #expect(throws: ConfigurationError.self) {
                _ = try Configuration.parse(changed, source: "/etc/opine/opine.toml", environment: [:])
            }
            #expect(error?.description.contains("retention.rejected_uploads") == true, "\(bad): \(String(describing: error))")
        }
    }
}
