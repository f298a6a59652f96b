/// The routes the sandbox stands in for, named as its stats name them.
public enum SandboxEndpoint: String, CaseIterable, Sendable, Codable {
    case sendgridMailSend = "sendgrid.mail_send"
    case stripePaymentIntents = "stripe.payment_intents"
    case stripeRefunds = "stripe.refunds"
    case openaiChatCompletions = "openai.chat_completions"
    case twilioMessages = "twilio.messages"
    /// Unlimited, unauthenticated; for measuring the HTTP executor alone.
    case echo = "sandbox.echo"

    /// The method and path pattern, as the real API has it.
    var route: (method: String, pattern: String) {
        switch self {
        case .sendgridMailSend: ("POST", "/v3/mail/send")
        case .stripePaymentIntents: ("POST", "/v1/payment_intents")
        case .stripeRefunds: ("POST", "/v1/refunds")
        case .openaiChatCompletions: ("POST", "/v1/chat/completions")
        case .twilioMessages: ("POST", "/2010-04-01/Accounts/{sid}/Messages.json")
        case .echo: ("*", "/__sandbox/echo")
        }
    }
}

/// The limits the sandbox enforces, named as configuration and stats name them.
public enum SandboxLimitName: String, CaseIterable, Sendable, Codable {
    case sendgridRequests = "sendgrid.requests"
    case stripeRequests = "stripe.requests"
    case openaiRequests = "openai.requests"
    case openaiTokens = "openai.tokens"
    /// Applied to each sending number (`From`) separately.
    case twilioPerNumber = "twilio.per_number"

    /// The seed's published limits.
    var defaultLimit: String {
        switch self {
        case .sendgridRequests: "100/min"
        case .stripeRequests: "100/s"
        case .openaiRequests: "60/min"
        case .openaiTokens: "90000/min"
        case .twilioPerNumber: "1/s"
        }
    }
}
