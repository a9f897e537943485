#if canImport(Glibc)
import Glibc
#endif
import OpineCore

/// A folder's names as the file system holds them: bytes, which need not be UTF-8. Foundation's listing turns a name
/// that is not into one that names nothing, so the survey lists and opens by these bytes, as intake does.
enum RawNames {
    /// The names in the open folder `fd` (not `.` or `..`), in byte order; `display` names the folder in an error.
    static func list(_ fd: Int32, display: String) throws(PackError) -> [[UInt8]] {
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw PackError(.io, "\(display): cannot be listed (\(String(cString: strerror(errno)))); check its permissions")
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            names.append(bytes)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// A name that is not UTF-8, shown safely: its UTF-8 parts escaped as any name is (`escapedForDisplay`), each
    /// other byte as `\xFF`.
    static func display(_ raw: [UInt8]) -> String {
        var shown = ""
        var start = 0
        var index = 0
        func flush(to end: Int) {
            if start < end { shown += String(decoding: raw[start..<end], as: UTF8.self).escapedForDisplay }
        }
        while index < raw.count {
            let length = sequenceLength(raw[index])
            let end = index + length
            if length > 0, end <= raw.count, String(validating: raw[index..<end], as: UTF8.self) != nil {
                index = end
                continue
            }
            flush(to: index)
            shown += "\\x" + String(raw[index], radix: 16, uppercase: true)
            index += 1
            start = index
        }
        flush(to: index)
        return shown
    }

    /// How many bytes the UTF-8 sequence that `lead` starts would have; 0 when it cannot start one.
    private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: 1
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
    }

    /// Opens the file `name` of the open folder `folder` for reading, never following a symbolic link nor waiting on a
    /// FIFO put in its place since it was looked at.
    static func open(_ name: [UInt8], in folder: Int32, display: String) throws(PackError) -> Int32 {
        let fd = (name + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { openat(folder, $0.baseAddress!, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        }
        guard fd >= 0 else { throw PackError(errno == ENOENT ? .noInput : .io, "\(display): cannot be opened (\(String(cString: strerror(errno))))") }
        return fd
    }

    /// Opens the folder `name` of the open folder `folder`, never following a symbolic link.
    static func openFolder(_ name: [UInt8], in folder: Int32, display: String) throws(PackError) -> Int32 {
        let fd = (name + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { openat(folder, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        }
        guard fd >= 0 else { throw PackError(.io, "\(display): cannot be listed (\(String(cString: strerror(errno)))); check its permissions") }
        return fd
    }

    /// The status of `name` in the open folder `folder`, a symbolic link not followed.
    static func status(_ name: [UInt8], in folder: Int32, display: String) throws(PackError) -> stat {
        var info = stat()
        let result = (name + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { fstatat(folder, $0.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) }
        }
        guard result == 0 else { throw PackError(.io, "\(display): cannot be read (\(String(cString: strerror(errno))))") }
        return info
    }
}
