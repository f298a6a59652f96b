/// The built-in providers: how a queue's tasks become HTTP requests.
public enum ProviderKind: String, CaseIterable, Sendable {
    case sendgrid, stripe, openai, twilio, http

    /// The real API's base URL; `http` has none and must be configured.
    public var defaultBaseURL: String? {
        switch self {
        case .sendgrid: "https://api.sendgrid.com"
        case .stripe: "https://api.stripe.com"
        case .openai: "https://api.openai.com"
        case .twilio: "https://api.twilio.com"
        case .http: nil
        }
    }

    /// The environment variable the API key comes from by default.
    public var defaultCredential: String? {
        switch self {
        case .sendgrid: "SENDGRID_API_KEY"
        case .stripe: "STRIPE_API_KEY"
        case .openai: "OPENAI_API_KEY"
        case .twilio: "TWILIO_AUTH_TOKEN"
        case .http: nil
        }
    }

    /// The task kinds this provider accepts.
    public var kinds: [String] {
        switch self {
        case .sendgrid: ["send_email"]
        case .stripe: ["create_payment", "refund_payment"]
        case .openai: ["generate_text"]
        case .twilio: ["send_sms"]
        case .http: ["http"]
        }
    }
}
