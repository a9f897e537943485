import Foundation

/// The body every endpoint receives: `{"type":…,"timestamp":…,"data":{…}}`, compact JSON. Contact details are added
/// only for endpoints configured with `include_contact = true`.
public struct WebhookMessage: Sendable {
    public var type: NotificationType
    public var timestamp: String
    public var data: NotificationData
    public var contact: Contact?

    /// What the patient-messaging service needs to reach the patient, and nothing more.
    public struct Contact: Codable, Sendable, Equatable {
        public var name: String
        public var email: String?
        public var phone: String?

        public init(name: String, email: String?, phone: String?) {
            self.name = name
            self.email = email
            self.phone = phone
        }
    }

    public init(type: NotificationType, timestamp: String, data: NotificationData, contact: Contact? = nil) {
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

        func encode(to encoder: Encoder) throws {
            try data.encode(to: encoder)
            if let contact {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(contact, forKey: .patient)
            }
        }

        enum Key: String, CodingKey { case patient }
    }

    public func body() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Body(type: type.rawValue, timestamp: timestamp, data: DataWithContact(data: data, contact: contact)))
    }
}
