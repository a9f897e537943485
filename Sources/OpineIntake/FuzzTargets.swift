#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore
import OpineStore

/// The checks hostile uploads meet first, callable on raw bytes: the manifest parser, the path rules, the whole
/// zip reader and the DICOM header reader. `make fuzz` drives them with libFuzzer (Sources/opine-fuzz); a regression test replays every input
/// that ever crashed one. Each returns normally for any input, or stops the process on a broken invariant.
public enum FuzzTargets {
    /// Which check to drive, named as `opine-fuzz TARGET FILE` spells it.
    public enum Target: String, CaseIterable, Sendable {
        /// The manifest parser; the path rules; the zip reader with inventory, manifest and extraction.
        case manifest, path, zip
        /// The DICOM header reader, on the bytes as a whole file and as a prefix of a longer one.
        case dicomHeader = "dicom-header"
    }

    /// Limits small enough that a fuzzer explores them, not the machine's memory.
    static let limits: IntakeSettings = {
        var limits = IntakeSettings()
        limits.maxFiles = 64
        limits.maxFileBytes = 1 << 20
        limits.maxBundleBytes = 4 << 20
        return limits
    }()

    /// Runs one fuzzer input through the target; stops the process if an invariant breaks.
    public static func run(_ target: Target, _ bytes: UnsafeRawBufferPointer) {
        switch target {
        case .manifest: manifest(bytes)
        case .path: path(bytes)
        case .zip: zip(bytes)
        case .dicomHeader: dicomHeader(bytes)
        }
    }

    /// Whatever parses must be a manifest intake can act on safely: every listed path passes the path rules.
    static func manifest(_ bytes: UnsafeRawBufferPointer) {
        guard let manifest = try? Manifest.parse(bytes, limits: limits, today: Date(timeIntervalSince1970: 1_795_000_000)) else { return }
        for file in manifest.files {
            precondition(PathRules.problem(with: file.path) == nil, "the manifest parser accepted an unsafe path")
            precondition(file.size >= 0 && file.sha256.utf8.count == 64, "the manifest parser accepted a bad size or hash")
        }
        precondition(manifest.files.count <= limits.maxFiles, "the manifest parser accepted too many files")
    }

    /// An accepted path is relative, shallow, short, and free of climbing, hidden and control characters.
    static func path(_ bytes: UnsafeRawBufferPointer) {
        guard let path = String(validating: bytes, as: UTF8.self), PathRules.problem(with: path) == nil else { return }
        precondition(!path.hasPrefix("/") && !path.contains("\\") && !path.contains("\0"), "an unsafe path was accepted")
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            precondition(!component.isEmpty && !component.hasPrefix("."), "an empty, hidden or climbing component was accepted")
        }
        _ = PathRules.collisionKey(path)
    }

    /// The zip reader on an archive of these bytes: inspect, read the manifest, extract every entry to nowhere.
    /// An entry may never produce more than it declared.
    static func zip(_ bytes: UnsafeRawBufferPointer) {
        let file = scratchFile
        guard ftruncate(file.fd, 0) == 0, pwrite(file.fd, bytes.baseAddress, bytes.count, 0) == bytes.count else {
            fatalError("cannot write the fuzzer's scratch file \(file.path)")
        }
        guard let reader = try? ZipBundleReader(path: file.path, limits: limits),
              let inventory = try? reader.inventory()
        else { return }
        _ = try? reader.manifestBytes()
        for (path, size) in inventory {
            precondition(PathRules.problem(with: path) == nil, "the zip reader accepted an unsafe entry name")
            let sink = StagedFile(fd: nullDevice, display: "fuzz", limit: size, mediaType: .dicom)
            if (try? reader.copy(path, size: size, into: sink)) != nil {
                precondition(sink.bytes == size, "an entry produced \(sink.bytes) bytes, not its declared \(size)")
            }
        }
    }

    /// Read as a prefix, the same bytes give the same answer, except that running out of bytes is a limit (the
    /// file may go on), never a truncation; a decoded orientation always has its six values.
    static func dicomHeader(_ bytes: UnsafeRawBufferPointer) {
        let whole = DicomHeaderReader.read(bytes, isComplete: true)
        let prefix = DicomHeaderReader.read(bytes, isComplete: false)
        if case .success(let header) = whole {
            precondition(header.imageOrientationPatient.map { $0.count == 6 } ?? true, "an orientation without six values")
        }
        switch prefix {
        case .failure(.truncated): preconditionFailure("a prefix was called truncated")
        case .failure(.limitExceeded): break
        default: precondition(prefix == whole, "the prefix read \(prefix) differs from the whole read \(whole)")
        }
    }

    private static let nullDevice = open("/dev/null", O_WRONLY | O_CLOEXEC)
    private static let scratchFile: (fd: Int32, path: String) = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opine-fuzz-\(getpid()).zip").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        atexit { unlink(FileManager.default.temporaryDirectory.appendingPathComponent("opine-fuzz-\(getpid()).zip").path) }
        return (fd, path)
    }()
}
