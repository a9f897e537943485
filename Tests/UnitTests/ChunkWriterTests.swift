import Foundation
@testable import OpineCore
@testable import OpineStore
@testable import OpineIntake
@testable import OpineDelivery
@testable import OpineDaemon
import OpineConfiguration
import Testing

@Suite("Intake's writer: direct and buffered writes")
struct ChunkWriterTests {
    /// Sizes around every boundary the writer treats specially: the direct-write threshold, 4 KiB blocks and its
    /// 1 MiB buffers.
    static let sizes = [0, 1, 4095, 4096, 4097, 256 << 10, (256 << 10) + 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (3 << 20) + 12345]

    /// Writes each size in chunks of `chunkBytes` into `folder` and checks every byte; returns which went direct.
    static func writeAndCheck(in folder: String, chunkBytes: Int) throws -> [Int: Bool] {
        let writer = ChunkWriter()
        var files: [(Int, ChunkWriter.File, [UInt8])] = []
        for size in sizes {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
            let file = try writer.create(folder + "/f\(size)-\(chunkBytes)", size: Int64(size))
            for start in stride(from: 0, to: size, by: chunkBytes) {
                try bytes[start..<min(start + chunkBytes, size)].withUnsafeBytes { try writer.write(file, $0) }
            }
            writer.close(file)
            files.append((size, file, bytes))
        }
        try writer.drain()
        var direct: [Int: Bool] = [:]
        for (size, file, bytes) in files {
            let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.path)))
            #expect(stored == bytes, "\(size) bytes in chunks of \(chunkBytes) in \(folder)")
            direct[size] = file.wroteDirectly
        }
        return direct
    }

    @Test("Every byte arrives, whatever the size and the chunking; large files skip the page cache where the file system allows")
    func writesExactly() throws {
        // The state directory's kind of file system (ext4 here), and tmpfs, which may refuse O_DIRECT.
        for parent in [FileManager.default.temporaryDirectory.path, "/dev/shm"] where FileManager.default.fileExists(atPath: parent) {
            let folder = parent + "/opine-writer-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            // Intake's own chunks (1 MiB, whole blocks) and odd ones, which end direct writing at the first.
            let aligned = try Self.writeAndCheck(in: folder, chunkBytes: 1 << 20)
            let odd = try Self.writeAndCheck(in: folder, chunkBytes: 333_333)
            for size in Self.sizes where size < Int(ChunkWriter.directMinimumBytes) {
                #expect(aligned[size] == false && odd[size] == false, "\(size) bytes stay in the page cache")
            }
            if parent != "/dev/shm" {
                for size in Self.sizes where size >= Int(ChunkWriter.directMinimumBytes) {
                    // In odd chunks only the first chunk's whole blocks go direct; the bytes check above covers the rest.
                    #expect(aligned[size] == true && odd[size] == true, "\(size) bytes go straight to the disk")
                }
            }
        }
    }
}
