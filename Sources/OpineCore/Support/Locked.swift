import Foundation

/// A value behind a pthread lock, for state that threads share. Opine uses it wherever the stdlib `Mutex` would do:
/// Thread Sanitizer cannot see that Mutex's futex on Linux and reports every access it guards as a race once two
/// threads contend (`make tsan` failed so, now and then, on the delivery worker's wake-ups); it does see NSLock's
/// pthread mutex. `scripts/check-source.sh` keeps `Mutex` out of the sources.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Holds `value`.
    package init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
