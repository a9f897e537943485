/// Why a delivery still to be sent is not being sent: its endpoint is disabled (it waits for `opine endpoints
/// enable`) or paused (it waits for a probe to succeed). `opine deliveries` shows this instead of a next attempt
/// time that has long passed.
public enum DeliveryHold: String, Codable, Sendable, CaseIterable {
    /// The endpoint answered 410 Gone; nothing goes until an operator enables it.
    case endpointDisabled = "endpoint_disabled"
    /// The endpoint failed longer than `pause_after`; one probe per `probe_interval` until it answers.
    case endpointPaused = "endpoint_paused"

    /// The hold on a delivery in `state` to an endpoint whose health is `endpoint` (nil: never tried, so healthy).
    public static func of(state: DeliveryState, endpoint: EndpointHealth?) -> DeliveryHold? {
        guard DeliveryState.open.contains(state), let endpoint else { return nil }
        switch endpoint.status {
        case .disabled: return .endpointDisabled
        case .paused: return .endpointPaused
        case .active, .failing: return nil
        }
    }
}
