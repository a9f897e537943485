import Foundation
import OpineCore
import OpineIntake

// Built two ways. `make fuzz` compiles with -sanitize=fuzzer -D OPINE_FUZZ: main hands control to libFuzzer's driver,
// which calls the entry point below with generated inputs for the target named by OPINE_FUZZ_TARGET. An ordinary
// build gives a replay tool instead: `opine-fuzz TARGET FILE…` runs saved inputs (a crash libFuzzer found, say)
// through a target.

#if OPINE_FUZZ
private let target: FuzzTargets.Target = {
    let name = ProcessInfo.processInfo.environment["OPINE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.Target(rawValue: name) else {
        fatalError("set OPINE_FUZZ_TARGET to one of: \(FuzzTargets.Target.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

/// libFuzzer's entry point: runs one input through the target named by `OPINE_FUZZ_TARGET`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.run(target, UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM gives every executable its own main, so libFuzzer's is not linked; its driver is called instead.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOne))
    }
}
#else
@main
struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTargets.Target(rawValue: name), arguments.count > 1 else {
            FileHandle.standardError.write(Data("usage: opine-fuzz (manifest|path|zip|dicom-header) FILE…\n".utf8))
            exit(64)
        }
        for path in arguments.dropFirst() {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes.withUnsafeBytes { FuzzTargets.run(target, $0) }
            print("ok \(path)")
        }
    }
}
#endif
