#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineConfiguration
import OpineCore
import OpineDelivery
import OpineIntake
import OpineStore

/// Lets go of the program code that only start-up ran. opined is one static binary of about 110 MB (the Swift
/// runtime, Foundation with its ICU data, BoringSSL, SQLite's callers); starting it touches code all over it, and
/// the kernel maps each touched page with its neighbours, so an idle daemon kept ~17 MiB of code resident that it
/// never ran again. Its own data (the heap, stacks, relocated tables) is ~4 MiB. Dropping the mappings of code
/// pages (read-only, executable, never written, so nothing is lost) returns them to the page cache; whatever
/// runs next faults its pages back in from there. Only such clean code mappings are touched.
enum StartupPages {
    /// Returns how many resident bytes of code it released.
    @discardableResult
    static func release() -> Int {
        // Read to the end: /proc files report no size, and a one-shot read may stop after the first page.
        guard let data = try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps")).readToEnd() else { return 0 }
        let smaps = String(decoding: data, as: UTF8.self)
        var released = 0
        var candidate: (start: UInt, end: UInt)?
        var resident = 0, modified = false
        func finishMapping() {
            defer { candidate = nil; resident = 0; modified = false }
            guard let range = candidate, !modified, resident > 0,
                  let start = UnsafeMutableRawPointer(bitPattern: range.start) else { return }
            if madvise(start, Int(range.end - range.start), MADV_DONTNEED) == 0 { released += resident }
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5, !first.hasSuffix(":") {
                finishMapping()
                // `start-end perms offset dev inode [path]`: a private, read-only, executable mapping of a file.
                let bounds = first.split(separator: "-")
                if fields[1] == "r-xp", fields.count >= 6, fields[5].hasPrefix("/"), bounds.count == 2,
                   let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16) {
                    candidate = (start, end)
                }
            } else if candidate != nil, fields.count >= 2, let kilobytes = Int(fields[1]) {
                switch fields[0] {
                case "Rss:": resident = kilobytes * 1024
                // A page this process wrote (a debugger's breakpoint) is an anonymous copy and would be lost: leave
                // such a mapping. (Dirty counts are no guide: a binary just linked has dirty page-cache pages.)
                case "Anonymous:": if kilobytes > 0 { modified = true }
                default: break
                }
            }
        }
        finishMapping()
        return released
    }
}
