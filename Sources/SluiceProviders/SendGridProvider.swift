import SluiceConfig
import SluiceJSON

/// SendGrid v3: `send_email` → `POST /v3/mail/send`, the payload is the mail
/// object as SendGrid documents it. 202 Accepted is success.
public struct SendGridProvider: Provider {
    let baseURL: String

    public func request(for task: ProviderTask, credential: Secret?) throws(TaskRejected) -> OutgoingRequest {
        try task.require(kind: ["send_email"])
        try task.require(fields: ["personalizations", "from"])
        return OutgoingRequest(
            method: "POST", url: try RequestPath.join(base: baseURL, path: "/v3/mail/send"),
            headers: bearer(credential) + [("Content-Type", "application/json")],
            body: JSONWriter.bytes(.object(task.payload))
        )
    }

    /// The most recipients (to, cc and bcc of every personalization) SendGrid takes in one request.
    public static let maximumRecipients = 1000

    /// SendGrid's shape: 1…1000 personalizations, each with a non-empty `to`
    /// of `{"email": …}` objects (and `cc`, `bcc` likewise), at most 1000
    /// recipients in all; `from` is an `{"email": …}` object.
    public func checkFields(of task: ProviderTask) throws(TaskRejected) {
        guard case .array(let personalizations)? = task.payload["personalizations"], !personalizations.isEmpty,
              personalizations.count <= Self.maximumRecipients else {
            throw TaskRejected("payload.personalizations: must be an array of 1 to \(Self.maximumRecipients) objects, "
                               + "e.g. [{\"to\": [{\"email\": \"ada@example.com\"}]}]")
        }
        var recipients = 0
        for (index, element) in personalizations.enumerated() {
            let place = "payload.personalizations[\(index)]"
            guard case .object(let personalization) = element else {
                throw TaskRejected("\(place): must be an object with a \"to\" list, e.g. {\"to\": [{\"email\": \"ada@example.com\"}]}")
            }
            for list in ["to", "cc", "bcc"] {
                guard let value = personalization[list] else {
                    if list == "to" { throw TaskRejected("\(place).to: is required, a non-empty array like [{\"email\": \"ada@example.com\"}]") }
                    continue
                }
                guard case .array(let addresses) = value, !addresses.isEmpty else {
                    throw TaskRejected("\(place).\(list): must be a non-empty array like [{\"email\": \"ada@example.com\"}]")
                }
                recipients += addresses.count
                guard recipients <= Self.maximumRecipients else {
                    throw TaskRejected("payload.personalizations: more than \(Self.maximumRecipients) recipients (to, cc and bcc together); "
                                       + "SendGrid takes at most \(Self.maximumRecipients) per request: split the mail into several tasks")
                }
                for (position, address) in addresses.enumerated() {
                    try Self.checkAddress(address, "\(place).\(list)[\(position)]")
                }
            }
        }
        try Self.checkAddress(task.payload["from"] ?? .null, "payload.from")
        try JSONBodyNumbers.check(.object(task.payload), at: "payload")
        // Without a template, SendGrid needs a subject (the mail's, or every
        // personalization's) and a content block: a 400 otherwise.
        if case .string? = task.payload["template_id"] { return }
        let everyHasSubject = personalizations.allSatisfy { element in
            if case .object(let personalization) = element, case .string? = personalization["subject"] { true } else { false }
        }
        if !everyHasSubject {
            guard case .string(let subject)? = task.payload["subject"], !subject.isEmpty else {
                throw TaskRejected("payload.subject: is required, a non-empty string (or a \"subject\" in every personalization, or a \"template_id\")")
            }
        }
        guard case .array(let blocks)? = task.payload["content"], !blocks.isEmpty, blocks.allSatisfy({ block in
            if case .object(let object) = block, case .string? = object["type"], case .string? = object["value"] { true } else { false }
        }) else {
            throw TaskRejected("payload.content: is required, a non-empty array of {\"type\", \"value\"} strings "
                               + "such as [{\"type\": \"text/plain\", \"value\": \"Hello\"}] (or a \"template_id\")")
        }
    }

    /// An address as SendGrid takes it: something before the `@`, and a dot in the domain after it.
    private static func checkAddress(_ value: JSONValue, _ place: String) throws(TaskRejected) {
        guard case .object(let address) = value, case .string(let email)? = address["email"],
              let at = email.utf8.firstIndex(of: UInt8(ascii: "@")), at > email.utf8.startIndex,
              email.utf8[email.utf8.index(after: at)...].contains(UInt8(ascii: ".")) else {
            throw TaskRejected("\(place): must be an object with an \"email\" address, e.g. {\"email\": \"ada@example.com\"}")
        }
    }
}
