#if canImport(Glibc)
import Glibc
#endif
import OpineCore
import OpineStore

/// inotify on the drop directory. Events are hints that something changed: the loop still looks at the file system
/// itself, and rescans in full on overflow and on a timer, so a lost event can delay a bundle but never strand it.
final class DropWatcher {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    struct Events {
        var names: [String] = []
        var renamedIn: Set<String> = []
        var overflow = false
    }

    init(path: String) throws(IOFailure) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw FileOperations.fail("inotify_init1", path) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, path, mask) >= 0 else {
            let failure = FileOperations.fail("inotify_add_watch", path)
            close(fd)
            throw failure
        }
    }

    deinit { close(fd) }

    /// Reads every queued event without blocking.
    func drain() -> Events {
        var events = Events()
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; } — name is not imported.
            while offset + 16 <= count {
                let mask = buffer.u32(offset + 4)
                let length = Int(buffer.u32(offset + 12))
                let nameBytes = buffer[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }
                offset += 16 + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                    events.overflow = true
                    continue
                }
                guard !nameBytes.isEmpty else { continue }
                let name = String(decoding: nameBytes, as: UTF8.self)
                events.names.append(name)
                if mask & UInt32(IN_MOVED_TO) != 0 { events.renamedIn.insert(name) }
            }
        }
        return events
    }
}
