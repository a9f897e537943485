/// An optional output field that is written as JSON `null` when it has no value, where synthesized `Encodable` would
/// leave its key out: every documented key is always present, so scripts can tell "none" from "not reported".
@propertyWrapper
struct OrNull<Value: Encodable>: Encodable {
    /// The value, or nil for `null`.
    var wrappedValue: Value?

    /// Wraps a value that may be absent.
    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    /// The value as it is, or `null`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}
