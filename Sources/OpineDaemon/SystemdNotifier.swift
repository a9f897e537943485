#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineConfiguration
import OpineCore
import OpineDelivery
import OpineIntake
import OpineStore

/// sd_notify, written directly: one datagram per message to `$NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). Without the variable (not run by systemd) every call does nothing.
public struct SystemdNotifier: Sendable {
    private let address: [UInt8]?
    /// Half of `WATCHDOG_USEC`: how often to ping, if systemd asked for pings at all.
    public let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 {
            var bytes = Array(path.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            address = bytes
        } else {
            address = nil
        }
        // WATCHDOG_PID, when present, names the process the pings are for.
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            watchdogInterval = usec / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// Run by systemd with a notify socket, so messages go somewhere.
    public var isActive: Bool { address != nil }

    /// Sends `READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`, `RELOADING=1` (several may be joined by newlines).
    @discardableResult
    public func notify(_ message: String) -> Bool {
        guard let address else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { path in
            for (index, byte) in address.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count)
        let sent = message.utf8CString.withUnsafeBufferPointer { text in
            withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, text.baseAddress, text.count - 1, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent >= 0
    }

    /// `RELOADING=1` wants the monotonic time with it (systemd 253 and later check it).
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
