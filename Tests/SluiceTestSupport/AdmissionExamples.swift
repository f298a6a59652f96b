import Foundation

/// Every provider's tasks, valid and each kind of invalid, with the exact
/// refusal: one table fed through the worker's judgement and the door's
/// (`TaskAdmissionTests`), and through ingest and `sluice enqueue` on a
/// real fleet (`TaskAdmissionFleetTests`), so none of them can disagree.
public struct AdmissionExample: Sendable, CustomStringConvertible {
    /// Who refuses the task.
    public enum Scope: Sendable {
        /// Nobody: it is sent.
        case valid
        /// The door and the worker: it can never be sent as it is.
        case everywhere
        /// The door only (a type, a range, a per-key field, a cost): a task
        /// already queued is sent as it always was.
        case doorOnly
    }

    public let queue: String
    /// The task as a producer submits it (one JSON document, one line).
    public let task: String
    public let refusal: String?
    public let scope: Scope

    init(_ queue: String, _ task: String, _ scope: Scope = .valid, _ refusal: String? = nil) {
        self.queue = queue
        self.task = task
        self.scope = scope
        self.refusal = refusal
    }

    public var description: String { "\(queue): \(task.prefix(120))" }
}

public enum AdmissionExamples {
    /// The queues the examples go to, as configuration JSON members; `BASE`
    /// stands for the base URL (the sandbox's, in a fleet).
    public static let queues: [(name: String, json: String)] = [
        ("sendgrid-api", #"{"provider": "sendgrid", "baseURL": "BASE", "rate": "10/s"}"#),
        ("stripe-api", #"{"provider": "stripe", "baseURL": "BASE", "rate": "10/s"}"#),
        ("openai-api", #"{"provider": "openai", "baseURL": "BASE", "rate": "60/min", "weighted": [{"name": "tokens", "rate": "90000/min", "burst": 9000}]}"#),
        ("twilio-api", #"{"provider": "twilio", "baseURL": "BASE", "rate": "10/s", "accountSid": "AC123", "perKey": {"rate": "1/s"}}"#),
        ("hooks", #"{"provider": "http", "baseURL": "BASE/v1", "rate": "10/s"}"#),
        ("keyed-hooks", #"{"provider": "http", "baseURL": "BASE/v1", "rate": "10/s", "perKey": {"field": "tenant", "rate": "1/s"}}"#),
    ]

    /// The `queues` object of a configuration, with `base` for `BASE`.
    public static func queuesJSON(base: String) -> String {
        "{" + queues.map { "\"\($0.name)\": \($0.json.replacingOccurrences(of: "BASE", with: base))" }.joined(separator: ", ") + "}"
    }

    static let mail = #""personalizations":[{"to":[{"email":"ada@example.com"}]}],"from":{"email":"shop@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"hello"}]"#
    static let amountRule = "payload.amount: must be a whole number of the currency's smallest unit written in digits (2000 is 20.00 usd), "
        + "from 1 to 99999999 (Stripe takes at most eight digits, twelve for idr)"
    static let idrAmountRule = "payload.amount: must be a whole number of the currency's smallest unit written in digits (2000 is 20.00 usd), "
        + "from 1 to 999999999999 (Stripe takes at most eight digits, twelve for idr)"
    static let subjectRule = #"payload.subject: is required, a non-empty string (or a "subject" in every personalization, or a "template_id")"#
    static let contentRule = #"payload.content: is required, a non-empty array of {"type", "value"} strings such as [{"type": "text/plain", "value": "Hello"}] (or a "template_id")"#
    static let personalizationsRule = #"payload.personalizations: must be an array of 1 to 1000 objects, e.g. [{"to": [{"email": "ada@example.com"}]}]"#
    static let addressRule = #"must be an object with an "email" address, e.g. {"email": "ada@example.com"}"#
    static let formTooLarge = "payload: encodes to a form body over 4194304 bytes (4 MiB), nested names repeated in every field; "
        + "send far less (the API refuses such a body), or keep the data elsewhere and pass a reference"

    static func recipients(_ count: Int) -> String {
        "[" + (0..<count).map { #"{"email":"r\#($0)@example.com"}"# }.joined(separator: ",") + "]"
    }

    /// A small task whose form body is gigantic: a 4,000-byte key repeated in 1,100 pairs.
    static let formBomb = #"{"kind":"create_payment","payload":{"amount":1,"currency":"usd","metadata":{""#
        + String(repeating: "k", count: 4000) + #"":["# + Array(repeating: "1", count: 1100).joined(separator: ",") + "]}}}"

    public static let all: [AdmissionExample] = sendgrid + stripe + openai + twilio + http

    static let sendgrid: [AdmissionExample] = [
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{\#(mail)}}"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}],"cc":[{"email":"c@example.com"}],"bcc":[{"email":"b@example.com"}]}],"from":{"email":"shop@example.com","name":"Shop"},"template_id":"d-1"}}"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":\#(recipients(1000))}],"from":{"email":"shop@example.com"},"subject":"all","content":[{"type":"text/plain","value":"hello"}]}}"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}],"subject":"a"},{"to":[{"email":"b@example.com"}],"subject":"b"}],"from":{"email":"shop@example.com"},"content":[{"type":"text/html","value":"<p>hi</p>"}]}}"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_sms","payload":{\#(mail)}}"#, .everywhere,
                         #"kind: "send_sms" is not a kind this queue's provider sends; use send_email"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"from":{"email":"shop@example.com"}}}"#, .everywhere,
                         "payload.personalizations: is required for send_email"),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}]}}"#, .everywhere,
                         "payload.from: is required for send_email"),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[],"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         personalizationsRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":{"to":[]},"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         personalizationsRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"subject":"x"}],"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         #"payload.personalizations[0].to: is required, a non-empty array like [{"email": "ada@example.com"}]"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":"ada@example.com"}],"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         #"payload.personalizations[0].to: must be a non-empty array like [{"email": "ada@example.com"}]"#),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"name":"Ada"}]}],"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         "payload.personalizations[0].to[0]: " + addressRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}],"bcc":[{"email":7}]}],"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         "payload.personalizations[0].bcc[0]: " + addressRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":"shop@example.com"}}"#, .doorOnly,
                         "payload.from: " + addressRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":\#(recipients(600))},{"to":\#(recipients(401))}],"from":{"email":"shop@example.com"}}}"#, .doorOnly,
                         "payload.personalizations: more than 1000 recipients (to, cc and bcc together); SendGrid takes at most 1000 per request: split the mail into several tasks"),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{\#(mail),"custom_args":{"n":\#(String(repeating: "9", count: 400))}}}"#, .doorOnly,
                         "payload.custom_args.n: \(String(repeating: "9", count: 40))… is beyond the range of a JSON number as APIs read it (a double, up to about 1.8e308): send a smaller number, or a string"),
        // What SendGrid answers 400 to (the sandbox too): a mail without a subject or a content block, unless a template gives them; an address without a domain.
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"shop@example.com"},"subject":"hi"}}"#, .doorOnly,
                         contentRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"shop@example.com"},"subject":"hi","content":[{"type":"text/plain"}]}}"#, .doorOnly,
                         contentRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"shop@example.com"},"content":[{"type":"text/plain","value":"x"}]}}"#, .doorOnly,
                         subjectRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}],"subject":"a"},{"to":[{"email":"b@example.com"}]}],"from":{"email":"shop@example.com"},"subject":"","content":[{"type":"text/plain","value":"x"}]}}"#, .doorOnly,
                         subjectRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"@example.com"}]}],"from":{"email":"shop@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"x"}]}}"#, .doorOnly,
                         "payload.personalizations[0].to[0]: " + addressRule),
        AdmissionExample("sendgrid-api", #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"ada@localhost"}]}],"from":{"email":"shop@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"x"}]}}"#, .doorOnly,
                         "payload.personalizations[0].to[0]: " + addressRule),
    ]

    static let stripe: [AdmissionExample] = [
        AdmissionExample("stripe-api", #"{"id":"order-42","kind":"create_payment","payload":{"amount":2000,"currency":"usd"}}"#),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":"2000","currency":"EUR","metadata":{"order":"42"}}}"#),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":99999999,"currency":"usd"}}"#),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":999999999999,"currency":"IDR"}}"#),
        AdmissionExample("stripe-api", #"{"kind":"refund_payment","payload":{"payment_intent":"pi_123","amount":500}}"#),
        AdmissionExample("stripe-api", #"{"kind":"refund_payment","payload":{"charge":"ch_123"}}"#),
        AdmissionExample("stripe-api", #"{"kind":"send_email","payload":{}}"#, .everywhere,
                         #"kind: "send_email" is not a kind this queue's provider sends; use create_payment or refund_payment"#),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"currency":"usd"}}"#, .everywhere,
                         "payload.amount: is required for create_payment"),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":2000}}"#, .everywhere,
                         "payload.currency: is required for create_payment"),
        AdmissionExample("stripe-api", #"{"kind":"refund_payment","payload":{"amount":5}}"#, .everywhere,
                         "payload.payment_intent: is required for refund_payment (or payload.charge)"),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":20.00,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":2e3,"currency":"usd"}}"#, .doorOnly, amountRule),
        // Stripe answers 400 above eight digits (twelve for idr): 2^53 and 2^63 − 1 are not amounts.
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":100000000,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":9007199254740992,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":9223372036854775807,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":1000000000000,"currency":"idr"}}"#, .doorOnly, idrAmountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":9223372036854775808,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":18446744073709551616,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":0,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":-5,"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":{"value":1},"currency":"usd"}}"#, .doorOnly, amountRule),
        AdmissionExample("stripe-api", #"{"kind":"refund_payment","payload":{"payment_intent":"pi_1","amount":"5.5"}}"#, .doorOnly, idrAmountRule),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":2000,"currency":840}}"#, .doorOnly,
                         #"payload.currency: must be a non-empty string, a three-letter ISO code such as "usd""#),
        AdmissionExample("stripe-api", #"{"kind":"create_payment","payload":{"amount":2000,"currency":"dollars"}}"#, .doorOnly,
                         #"payload.currency: "dollars" is not a currency; use a three-letter ISO code such as "usd""#),
        AdmissionExample("stripe-api", #"{"kind":"refund_payment","payload":{"payment_intent":123}}"#, .doorOnly,
                         #"payload.payment_intent: must be a non-empty string, the id of the payment intent to refund, e.g. "pi_123""#),
        AdmissionExample("stripe-api", formBomb, .everywhere, formTooLarge),
    ]

    static let chat = #""model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]"#

    static let openai: [AdmissionExample] = [
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"max_tokens":100}}"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat)}}"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","cost":9000,"payload":{\#(chat),"max_tokens":20000}}"#),
        AdmissionExample("openai-api", #"{"kind":"chat","payload":{\#(chat)}}"#, .everywhere,
                         #"kind: "chat" is not a kind this queue's provider sends; use generate_text"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"messages":[]}}"#, .everywhere,
                         "payload.model: is required for generate_text"),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":"m","messages":"hi"}}"#, .everywhere,
                         "payload.messages: must be an array of messages"),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"max_tokens":0}}"#, .everywhere,
                         "payload.max_tokens: must be a whole number of tokens, at least 1"),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":"m","messages":[]}}"#, .doorOnly,
                         #"payload.messages: must be a non-empty array of messages, e.g. [{"role": "user", "content": "Hello"}]"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":"m","messages":[{"content":"hi"}]}}"#, .doorOnly,
                         #"payload.messages[0]: must be an object with a "role" string, e.g. {"role": "user", "content": "Hello"}"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":4,"messages":[{"role":"user"}]}}"#, .doorOnly,
                         #"payload.model: must be a non-empty string, the model's name, e.g. "gpt-4o-mini""#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":"","messages":[{"role":"user"}]}}"#, .doorOnly,
                         #"payload.model: must be a non-empty string, the model's name, e.g. "gpt-4o-mini""#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"max_tokens":20000}}"#, .doorOnly,
                         #"payload.max_tokens: the task's estimated cost (20001) is above the burst of weighted limit "tokens" (9000): it could never be sent; ask for fewer tokens, give a "cost", or raise that burst"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"max_tokens":18446744073709551615}}"#, .doorOnly,
                         #"payload.max_tokens: the task's estimated cost (more than 18446744073709551614) is above the burst of weighted limit "tokens" (9000): it could never be sent; ask for fewer tokens, give a "cost", or raise that burst"#),
        // What OpenAI answers 400 to (the sandbox too): a role it does not know; a max_completion_tokens below 1 beside a valid max_tokens.
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":"m","messages":[{"role":"user","content":"a"},{"role":"bot","content":"b"}]}}"#, .doorOnly,
                         #"payload.messages[1].role: "bot" is not a role OpenAI takes; use system, developer, user, assistant, tool or function"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"max_tokens":10,"max_completion_tokens":0}}"#, .doorOnly,
                         "payload.max_completion_tokens: must be a whole number of tokens, at least 1"),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"max_tokens":10,"max_completion_tokens":"many"}}"#, .doorOnly,
                         "payload.max_completion_tokens: must be a whole number of tokens, at least 1"),
        // A number no JSON reader holds (beyond a double: OpenAI's, SendGrid's and the sandbox's parsers refuse the whole body).
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"temperature":1e308,"top_p":1e-400}}"#),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{\#(chat),"temperature":1e400}}"#, .doorOnly,
                         "payload.temperature: 1e400 is beyond the range of a JSON number as APIs read it (a double, up to about 1.8e308): send a smaller number, or a string"),
        AdmissionExample("openai-api", #"{"kind":"generate_text","payload":{"model":"m","messages":[{"role":"user","content":"hi","x":[0,-1e400]}]}}"#, .doorOnly,
                         "payload.messages[0].x[1]: -1e400 is beyond the range of a JSON number as APIs read it (a double, up to about 1.8e308): send a smaller number, or a string"),
        AdmissionExample("openai-api", #"{"kind":"generate_text","cost":9001,"payload":{\#(chat)}}"#, .doorOnly,
                         #"cost: 9001 is above the burst of weighted limit "tokens" (9000): it could never be sent; lower the cost or raise that burst"#),
    ]

    static let twilio: [AdmissionExample] = [
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":"+15550199","Body":"hi"}}"#),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","key":"+15550199","payload":{"To":"+15550100","From":"+15550199","Body":"hi"}}"#),
        AdmissionExample("twilio-api", #"{"kind":"send_email","payload":{"To":"+15550100","From":"+15550199","Body":"hi"}}"#, .everywhere,
                         #"kind: "send_email" is not a kind this queue's provider sends; use send_sms"#),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":"+15550199"}}"#, .everywhere,
                         "payload.Body: is required for send_sms"),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","Body":"hi"}}"#, .everywhere,
                         "payload.From: is required for send_sms"),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":["+15550100"],"From":"+15550199","Body":"hi"}}"#, .doorOnly,
                         #"payload.To: must be a non-empty string, the phone number to send to, e.g. "+15550100""#),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":15550199,"Body":"hi"}}"#, .doorOnly,
                         #"payload.From: must be a non-empty string, the sending phone number, e.g. "+15550199""#),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":"+15550199","Body":null}}"#, .doorOnly,
                         "payload.Body: must be a non-empty string, the message's text"),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":"","Body":"hi"}}"#, .doorOnly,
                         #"payload.From: must be a non-empty string, the sending phone number, e.g. "+15550199""#),
        // Twilio answers 400 (21617) to a body over 1,600 characters.
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":"+15550199","Body":"\#(String(repeating: "é", count: 1600))"}}"#),
        AdmissionExample("twilio-api", #"{"kind":"send_sms","payload":{"To":"+15550100","From":"+15550199","Body":"\#(String(repeating: "x", count: 1601))"}}"#, .doorOnly,
                         "payload.Body: is 1601 characters; Twilio sends at most 1600 in one message: split the text into several tasks"),
    ]

    static let http: [AdmissionExample] = [
        AdmissionExample("hooks", #"{"kind":"http","payload":{"method":"GET","path":"/things/7?x=1"}}"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/things","headers":{"X-Trace":"a\tb"},"body":{"n":1}}}"#),
        AdmissionExample("hooks", #"{"kind":"send_sms","payload":{"path":"/x"}}"#, .everywhere,
                         #"kind: "send_sms" is not a kind this queue's provider sends; use http"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"method":"GET"}}"#, .everywhere,
                         #"payload.path: is required, a string like "/v1/things""#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"//evil.example/steal"}}"#, .everywhere,
                         #"payload.path: "//evil.example/steal" must be an absolute path starting with a single "/"; the host is the queue's"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/a/%2e%2e/admin"}}"#, .everywhere,
                         #"payload.path: "/a/%2e%2e/admin" encodes "." as %2e; dots need no encoding"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/a/../admin"}}"#, .everywhere,
                         #"payload.path: "/a/../admin" may not contain "." or ".." segments (also percent-encoded)"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","headers":{"Host":"evil.example"}}}"#, .everywhere,
                         "payload.headers.Host: is set by Sluice, not by tasks"),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","headers":{"X-Trace":"a\r\nX-Injected: 1"}}}"#, .everywhere,
                         "payload.headers.X-Trace: may not contain control characters (line breaks, NUL, DEL, C1); only tab is allowed"),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","method":"TRACE"}}"#, .everywhere,
                         "payload.method: must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","headers":{"content-type":"text/csv"},"body":"a,b"}}"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","headers":{"content-type":"text/csv"},"body":["a","b"]}}"#, .doorOnly,
                         "payload.headers.content-type: Sluice sends application/json for a JSON body; to choose the type, send the body as a string"),
        // Header fields are sent in the request's head, which servers bound (nginx and the sandbox 32 KiB in all: 431):
        // 64 fields of 8 KiB each, 512 KiB, were admitted and answered 431.
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","headers":{"X-A":"\#(String(repeating: "a", count: 8000))","X-B":"\#(String(repeating: "b", count: 8000))","X-C":"\#(String(repeating: "c", count: 8000))"}}}"#),
        AdmissionExample("hooks", #"{"kind":"http","payload":{"path":"/x","headers":{"X-A":"\#(String(repeating: "a", count: 8000))","X-B":"\#(String(repeating: "b", count: 8000))","X-C":"\#(String(repeating: "c", count: 8000))","X-D":"\#(String(repeating: "d", count: 8000))"}}}"#, .doorOnly,
                         "payload.headers: 32028 bytes in all, over 30720; servers commonly refuse a head over 32 KiB (431; Node.js over 16 KiB): send less in headers, or put it in the body"),
        AdmissionExample("keyed-hooks", #"{"kind":"http","payload":{"path":"/x","tenant":"acme"}}"#),
        AdmissionExample("keyed-hooks", #"{"kind":"http","key":"acme","payload":{"path":"/x"}}"#),
        AdmissionExample("keyed-hooks", #"{"kind":"http","payload":{"path":"/x"}}"#, .doorOnly,
                         #"payload.tenant: is required, a string: queue "keyed-hooks" limits each tenant separately (perKey); give it, or the task's "key""#),
        AdmissionExample("keyed-hooks", #"{"kind":"http","payload":{"path":"/x","tenant":7}}"#, .doorOnly,
                         #"payload.tenant: is required, a string: queue "keyed-hooks" limits each tenant separately (perKey); give it, or the task's "key""#),
    ]
}
