import Foundation
import OpineConfiguration
import OpineCore
import Testing

@Suite("Configuration errors from the real opine and opined: exit 78 with a message that says what to fix")
struct ConfigurationCLITests {
    @Test("A bad configuration is refused with the file, the key, the value and what is allowed")
    func badConfigurationIsRefused() throws {
        let sandbox = try Sandbox(["OPINE_INTAKE_SETTLE_SECONDS": "soon"])
        let result = try sandbox.opine("list")
        #expect(result.status == 78)
        #expect(result.stderr.contains("OPINE_INTAKE_SETTLE_SECONDS") && result.stderr.contains("soon") && result.stderr.contains("seconds from 0"))
        let daemon = try sandbox.opine([], program: "opined")
        #expect(daemon.status == 78)
        #expect(daemon.stderr.contains("intake.settle_seconds"), "\(daemon.stderr)")
    }

    @Test("With no configuration anywhere, opine and opined say where to put one",
          .enabled(if: !FileManager.default.fileExists(atPath: Configuration.systemPath), "a configuration is installed at /etc/opine"))
    func noConfigurationAnywhere() throws {
        let sandbox = try Sandbox()
        sandbox.environment["OPINE_CONFIG"] = nil
        for program in ["opine", "opined"] {
            let result = try sandbox.opine(program == "opine" ? ["list"] : [], program: program)
            #expect(result.status == 78, "\(program) exited \(result.status)")
            #expect(result.stderr.contains("no configuration found") && result.stderr.contains("--config")
                && result.stderr.contains("OPINE_CONFIG") && result.stderr.contains(Configuration.systemPath), "\(program): \(result.stderr)")
        }
    }
}
