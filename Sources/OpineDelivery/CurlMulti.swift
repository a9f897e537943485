import CCurl
import Foundation
import OpineCore
import OpineStore

/// One HTTP POST for the transport to send.
public struct WebhookRequest: Sendable {
    /// The delivery id, handed back in the response so the worker knows which attempt ended.
    public var tag: Int64
    /// The endpoint's URL.
    public var url: String
    /// Header lines (`name: value`): content type, webhook id, timestamp and signature.
    public var headers: [String]
    /// The exact bytes that were signed.
    public var body: Data
    /// Seconds the whole attempt may take; connecting gets at most 10 of them.
    public var timeout: Double
    /// Allow plain `http://` as well as https (the endpoint's `allow_http`).
    public var allowHTTP: Bool
    /// How much of the answer to read before cutting the transfer (`webhooks.max_response_bytes`).
    public var maxResponseBytes: Int
}

/// How a request ended.
public struct WebhookResponse: Sendable {
    /// The request's tag: the delivery id.
    public var tag: Int64
    /// The HTTP status (with any Retry-After), a timeout or a connection failure.
    public var outcome: RetryPolicy.Outcome
    /// curl's description of a failure, or a note that the body was cut.
    public var error: String?
    /// The first bytes of the answer, at most the request's `maxResponseBytes`.
    public var body: Data
    /// How long the transfer took by curl's clock, in seconds.
    public var duration: Double
}

/// libcurl's multi interface, owned by the one thread that calls `add`, `wait` and `collect` (easy and multi
/// handles must stay on one thread); only `Waker` is shared. Connections are pooled by the multi handle and reused
/// across requests to the same host.
final class CurlMulti {
    private let multi: UnsafeMutableRawPointer
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]

    /// Per-request state curl's callbacks reach through `CURLOPT_WRITEDATA`.
    private final class Transfer {
        let tag: Int64
        let cap: Int
        var received = Data()
        var cut = false
        var headers: UnsafeMutablePointer<curl_slist>?

        init(tag: Int64, cap: Int) {
            self.tag = tag
            self.cap = cap
        }
    }

    /// Wakes `wait` from another thread. Valid until the owner calls `invalidate()` (before freeing the handle).
    final class Waker: Sendable {
        private let handle: Locked<UInt?>

        init(_ multi: UnsafeMutableRawPointer) { handle = Locked(UInt(bitPattern: multi)) }

        func wake() {
            handle.withLock { bits in
                if let bits, let multi = UnsafeMutableRawPointer(bitPattern: bits) { curl_multi_wakeup(multi) }
            }
        }

        func invalidate() { handle.withLock { $0 = nil } }
    }

    let waker: Waker
    var inFlight: Int { transfers.count }

    init(maxConnectionsPerHost: Int, maxConnections: Int) throws {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard let multi = curl_multi_init() else { throw CurlError("curl_multi_init failed") }
        self.multi = multi
        waker = Waker(multi)
        opine_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        opine_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
    }

    deinit {
        waker.invalidate()
        for (easy, transfer) in transfers { finish(easy, transfer) }
        curl_multi_cleanup(multi)
    }

    struct CurlError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Starts a POST. TLS verification stays on, redirects are never followed, and only http(s) is spoken.
    func add(_ request: WebhookRequest) throws {
        guard let easy = curl_easy_init() else { throw CurlError("curl_easy_init failed") }
        let transfer = Transfer(tag: request.tag, cap: request.maxResponseBytes)
        for header in request.headers + ["Expect:"] { transfer.headers = curl_slist_append(transfer.headers, header) }
        opine_easy_setopt_string(easy, CURLOPT_URL, request.url)
        opine_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, request.allowHTTP ? "http,https" : "https")
        opine_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        opine_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        opine_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        opine_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        opine_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        opine_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout, 10) * 1000))
        opine_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, request.body.count)
        _ = request.body.withUnsafeBytes { bytes in
            // COPYPOSTFIELDS: curl keeps its own copy, so the body need not outlive this call.
            opine_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
        }
        opine_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, transfer.headers)
        opine_easy_setopt_string(easy, CURLOPT_USERAGENT, "Opine-Webhooks/\(Opine.version)")
        opine_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(transfer).toOpaque())
        opine_easy_setopt_write_callback(easy) { data, size, count, context in
            let transfer = Unmanaged<CurlMulti.Transfer>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            let room = transfer.cap - transfer.received.count
            if let data { transfer.received.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: min(length, max(room, 0))) }
            guard length <= room else {
                // Enough read: returning short makes curl end the transfer; the status line already arrived.
                transfer.cut = true
                return 0
            }
            return length
        }
        transfers[easy] = transfer
        let code = curl_multi_add_handle(multi, easy)
        guard code == CURLM_OK else {
            transfers[easy] = nil
            finish(easy, transfer)
            throw CurlError(String(cString: curl_multi_strerror(code)))
        }
    }

    /// Blocks until a transfer has something to do, `wake()` is called, or `seconds` pass; returns at once when a
    /// transfer has already finished (on loopback a whole request can complete inside one `perform`, and its
    /// socket then has nothing left to wake `poll`).
    func wait(seconds: Double) {
        var running: Int32 = 0
        curl_multi_perform(multi, &running)
        guard running == transfers.count else { return }
        var ready: Int32 = 0
        curl_multi_poll(multi, nil, 0, Int32(max(0, min(seconds, 60)) * 1000), &ready)
        curl_multi_perform(multi, &running)
    }

    /// Transfers that finished since the last call.
    func collect() -> [WebhookResponse] {
        var responses: [WebhookResponse] = []
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = transfers.removeValue(forKey: easy) else { continue }
            let result = message.pointee.data.result
            var status = 0
            opine_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            let outcome: RetryPolicy.Outcome
            var error: String?
            if result == CURLE_OK || (result == CURLE_WRITE_ERROR && transfer.cut && status > 0) {
                outcome = .status(status, retryAfter: retryAfter(easy))
                if transfer.cut { error = "response body cut after \(transfer.cap) bytes" }
            } else if result == CURLE_OPERATION_TIMEDOUT {
                outcome = .timeout
                error = String(cString: curl_easy_strerror(result))
            } else {
                outcome = .connectionFailed
                error = String(cString: curl_easy_strerror(result))
            }
            // curl's own clock for the transfer, not the time until this loop came round to collect it.
            var micros: curl_off_t = 0
            opine_easy_getinfo_off_t(easy, CURLINFO_TOTAL_TIME_T, &micros)
            let duration = Double(micros) / 1_000_000
            responses.append(WebhookResponse(tag: transfer.tag, outcome: outcome, error: error, body: transfer.received, duration: duration))
            finish(easy, transfer)
        }
        return responses
    }

    private func finish(_ easy: UnsafeMutableRawPointer, _ transfer: Transfer) {
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        curl_slist_free_all(transfer.headers)
        transfer.headers = nil
    }

    /// `Retry-After` as seconds, from either of its two forms.
    private func retryAfter(_ easy: UnsafeMutableRawPointer) -> Double? {
        guard let value = opine_easy_header_value(easy, "Retry-After") else { return nil }
        return RetryPolicy.parseRetryAfter(String(cString: value), now: Date())
    }
}
