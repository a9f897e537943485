import Foundation

/// A value behind a pthread lock, for state intake's lanes share. Not the stdlib `Mutex`: Thread Sanitizer cannot
/// see its futex on Linux and reports the accesses it guards as races when two lanes contend (`make tsan`); it does
/// see NSLock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Holds `value`.
    init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
