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
}
