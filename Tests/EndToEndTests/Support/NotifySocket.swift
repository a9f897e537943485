import Foundation

/// A datagram socket standing in for systemd's `$NOTIFY_SOCKET`: collects what opined sends, with arrival times.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private var received: [(at: Date, text: String)] = []

    init(in root: URL) throws {
        path = root.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    deinit { close(fd) }

    /// Every message so far (each datagram may hold several `KEY=value` lines).
    func messages() -> [(at: Date, text: String)] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received.append((Date(), String(decoding: buffer[0..<count], as: UTF8.self)))
        }
        return received
    }

    /// Arrival times of messages holding `line` (as read: the time a message was collected, not sent).
    func times(of line: String) -> [Date] {
        messages().filter { $0.text.split(separator: "\n").contains(Substring(line)) }.map(\.at)
    }

    /// How many messages holding `line` were sent before this call, with the clock read just before and just after
    /// collecting them: every message sent by `before` is counted, and none sent after `after`.
    func count(of line: String) -> (count: Int, before: Date, after: Date) {
        let before = Date()
        let count = times(of: line).count
        return (count, before, Date())
    }
}
