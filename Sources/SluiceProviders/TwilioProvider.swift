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

    public func authorizationValues(credential: Secret) -> [String] {
        ["Basic " + Data("\(accountSID):\(credential.reveal())".utf8).base64EncodedString()]
    }
}
