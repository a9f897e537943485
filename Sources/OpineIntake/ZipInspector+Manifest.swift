#if canImport(Glibc)
import Glibc
#endif
import OpineCore

extension ZipInspector {
    /// The one `manifest.json` entry at the top of a zip, found through its central directory without judging the
    /// rest of the archive, so a zip refused for another entry still yields its submission id. Nil unless the end
    /// record and the headers up to the entry read cleanly, exactly one entry has that name, and it is unencrypted,
    /// stored or deflated, within the manifest's size limit, with a local header that agrees.
    static func manifestEntry(fd: Int32, fileSize: UInt64) -> ZipEntry? {
        guard let end = endRecord(fd: fd, fileSize: fileSize), end.directorySize <= maxCentralDirectoryBytes,
              let directory = try? readExactly(fd: fd, count: Int(end.directorySize), at: end.directoryOffset)
        else { return nil }
        let name = Array(Manifest.fileName.utf8)
        var found: (header: CentralHeader, index: Int)?
        var position = 0
        for index in 0..<end.entryCount {
            guard let header = try? CentralHeader(directory, at: &position, label: "zip entry \(index + 1)") else { break }
            guard header.nameBytes == name else { continue }
            // Two entries of that name: which one is the manifest is ambiguous, so neither is read.
            if found != nil { return nil }
            found = (header, index)
        }
        guard let (header, index) = found, header.flags & 0x0041 == 0, header.method == 0 || header.method == 8,
              header.uncompressed <= UInt64(Manifest.maxBytes), header.method == 8 || header.compressed == header.uncompressed,
              header.compressed <= UInt64(Manifest.maxBytes) + 0x1_0000,
              let dataOffset = try? checkLocalHeader(fd: fd, header, label: "zip entry \(index + 1)"),
              dataOffset + header.compressed <= end.directoryOffset
        else { return nil }
        return ZipEntry(
            index: index, path: Manifest.fileName, isDirectory: false, method: header.method, crc32: header.crc,
            compressedSize: header.compressed, uncompressedSize: header.uncompressed, dataOffset: dataOffset)
    }
}
