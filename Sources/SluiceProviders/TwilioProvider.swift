import Foundation
import SluiceConfig
import SluiceJSON

/// Twilio: `send_sms` → `POST /2010-04-01/Accounts/{sid}/Messages.json`,
/// form-encoded `To`, `From`, `Body`, Basic auth (account SID, auth token).
/// The per-number limit keys on `From`.
public struct TwilioProvider: Provider {
    let baseURL: String
    let accountSID: String

    public func request(for task: ProviderTask, credential: Secret?) throws(TaskRejected) -> OutgoingRequest {
        try task.require(kind: ["send_sms"])
        try task.require(fields: ["To", "From", "Body"])
        let authorization = credential.map { secret in authorizationValues(credential: secret).map { ("Authorization", $0) } } ?? []
        return OutgoingRequest(
            method: "POST",
            url: try RequestPath.join(base: baseURL, path: "/2010-04-01/Accounts/\(FormEncoding.escape(accountSID))/Messages.json"),
            headers: authorization + [("Content-Type", "application/x-www-form-urlencoded")],
            body: try FormEncoding.encode(task.payload)
        )
    }

    /// Twilio's fields are strings: the numbers and the text.
    public func checkFields(of task: ProviderTask) throws(TaskRejected) {
        _ = try task.string("To", "the phone number to send to, e.g. \"+15550100\"")
        _ = try task.string("From", "the sending phone number, e.g. \"+15550199\"")
        let body = try task.string("Body", "the message's text")
        // Counted in characters, as Twilio counts them (a byte count would refuse 1,600 "é").
        if body.utf8.count > Self.maximumBodyCharacters, case let characters = body.count, characters > Self.maximumBodyCharacters {
            throw TaskRejected("payload.Body: is \(characters) characters; Twilio sends at most \(Self.maximumBodyCharacters) in one message: "
                               + "split the text into several tasks")
        }
    }

    /// The longest message Twilio sends (a longer one is its error 21617).
    public static let maximumBodyCharacters = 1600

    public func authorizationValues(credential: Secret) -> [String] {
        ["Basic " + Data("\(accountSID):\(credential.reveal())".utf8).base64EncodedString()]
    }
}
