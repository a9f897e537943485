import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Each request's context: Hummingbird's core storage plus the client's address, which the per-address limits use.
public struct UploadRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's own per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer (the proxy's address behind a proxy; see `clientAddress`).
    public let remoteAddress: SocketAddress?

    /// Made by Hummingbird for every request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Forms and webhooks are small; file bytes go through tus PATCH, which streams and never collects.
    public var maxUploadSize: Int { 256 << 10 }
}

extension Request {
    /// The client's address for limits: the connection's peer, or behind a trusted proxy the last address the proxy
    /// added to `X-Forwarded-For` (earlier entries are the client's own claims). A unix socket peer without a trusted
    /// proxy counts as one client.
    func clientAddress(_ context: UploadRequestContext, trustProxy: Bool) -> String {
        if trustProxy, let forwarded = headers[HTTPField.Name("X-Forwarded-For")!],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return context.remoteAddress?.ipAddress ?? "local"
    }
}
