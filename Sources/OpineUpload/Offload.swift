import Dispatch

/// Runs blocking work (fsync, building a bundle) on a Dispatch thread instead of Swift's cooperative pool, which has
/// only as many threads as cores: a blocked pool thread would stall every other patient's requests.
enum Offload {
    /// Runs `body` on a global queue and returns its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body` on `queue` (a serial queue keeps such work one at a time).
    static func run<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
