import Foundation

/// The body every endpoint receives: `{"type":…,"timestamp":…,"data":{…}}`, compact JSON. Contact details are added
/// only for endpoints configured with `include_contact = true`.
public struct WebhookMessage: Sendable {
    /// The event, sent as `type`.
    public var type: NotificationType
    /// When the change happened (RFC 3339, UTC), not when this attempt is made.
    public var timestamp: String
    /// The event's `data` object as stored in the outbox.
    public var data: NotificationData
    /// Added as `data.patient` for `include_contact` endpoints only; nil for every other endpoint.
    public var contact: Contact?
    /// Words for the patient (an information request), added as `data.message` for `include_contact` endpoints only.
    public var message: String?

    /// What the patient-messaging service needs to reach the patient, and nothing more.
    public struct Contact: Codable, Sendable, Equatable {
        /// The patient's name, as in the manifest.
        public var name: String
        /// The patient's email address, if the manifest gave one.
        public var email: String?
        /// The patient's phone number, if the manifest gave one.
        public var phone: String?

        /// Copies the contact fields from the case.
        public init(name: String, email: String?, phone: String?) {
            self.name = name
            self.email = email
            self.phone = phone
        }
    }

    /// Builds a message; pass `contact` only for an endpoint that includes contact details.
    public init(type: NotificationType, timestamp: String, data: NotificationData, contact: Contact? = nil, message: String? = nil) {
        self.message = message
        self.type = type
        self.timestamp = timestamp
        self.data = data
        self.contact = contact
    }

    private struct Body: Encodable {
        var type: String
        var timestamp: String
        var data: DataWithContact
    }

    private struct DataWithContact: Encodable {
        var data: NotificationData
        var contact: Contact?
        var message: String?

        func encode(to encoder: Encoder) throws {
            try data.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            if let contact { try container.encode(contact, forKey: .patient) }
            if let message { try container.encode(message, forKey: .message) }
        }

        enum Key: String, CodingKey { case patient, message }
    }

    /// The body for an outbox event as stored. `outbox.data` already is the compact, key-sorted JSON of `data`, so
    /// without contact details the body is that text placed between the other two fields, byte for byte what
    /// `body()` would encode, without decoding and re-encoding it for every delivery. With contact details (or
    /// anything unexpected) it takes the encoder's path.
    public static func body(
        type: NotificationType, timestamp: String, storedData: String, contact: Contact?, message: String? = nil
    ) throws -> Data {
        let plain: (UInt8) -> Bool = { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if contact == nil, message == nil, storedData.utf8.first == UInt8(ascii: "{"), storedData.utf8.last == UInt8(ascii: "}"),
           timestamp.utf8.allSatisfy(plain) {
            return Data("{\"data\":\(storedData),\"timestamp\":\"\(timestamp)\",\"type\":\"\(type.rawValue)\"}".utf8)
        }
        return try WebhookMessage(
            type: type, timestamp: timestamp, data: NotificationData.decode(storedData), contact: contact, message: message
        ).body()
    }

    /// Compact JSON with sorted keys: the exact bytes that are signed and sent.
    public func body() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Body(type: type.rawValue, timestamp: timestamp, data: DataWithContact(data: data, contact: contact, message: message)))
    }
}
