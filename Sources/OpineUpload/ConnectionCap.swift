import NIOCore
import OpineCore

/// How many connections are open now, over all addresses (`limits.max_connections`).
final class ConnectionCount: Sendable {
    let limit: Int
    private let open = Locked(0)

    init(limit: Int) { self.limit = limit }

    /// Counts one more connection, or says no when the cap is reached.
    func enter() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Counts a connection closed.
    func leave() { open.withLock { $0 -= 1 } }
}

/// Added to every connection's pipeline: closes a connection past `limits.max_connections` at once, so slow clients
/// holding many connections cannot use up the service's file descriptors; the idle timeout closes the ones that stall.
/// Reads pass through untouched.
final class ConnectionCap: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let count: ConnectionCount
    private var counted = false

    init(_ count: ConnectionCount) { self.count = count }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = count.enter()
        if !counted { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted { count.leave() }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }
}
