import Foundation
import SluiceHTTP
import SluiceJSON

/// Twilio `POST /2010-04-01/Accounts/{sid}/Messages.json`: form-encoded `To`,
/// `From`, `Body`; Basic auth with the account sid (or an `SK…` API key) and
/// token; 201 with `"sid": "SM…"`. Errors are `{"code", "message",
/// "more_info", "status"}` with Twilio's error numbers. Limited per `From`.
enum TwilioAPI: ProviderAPI {
    static func validate(_ request: HTTPRequest, parameters: [String: String], keys: [String: String]) -> ProviderVerdict {
        let sid = parameters["sid"] ?? ""
        guard sid.hasPrefix("AC"), sid.count > 2 else {
            return .reject(error(.notFound, 20404, "The requested resource \(request.path) was not found"))
        }
        guard let login = Credentials.basic(request), !login.password.isEmpty,
              login.user == sid || login.user.hasPrefix("SK"), keys["twilio"].map({ $0 == "\(login.user):\(login.password)" }) ?? true else {
            var refusal = error(.unauthorized, 20003, "Authenticate")
            refusal.headers.add("WWW-Authenticate", "Basic realm=\"Twilio API\"")
            return .reject(refusal)
        }
        let fields = request.formFields
        guard let to = fields["To"], !to.isEmpty else { return .reject(error(.badRequest, 21604, "A 'To' phone number is required.")) }
        guard let from = fields["From"], !from.isEmpty else { return .reject(error(.badRequest, 21603, "A 'From' phone number is required.")) }
        guard let body = fields["Body"], !body.isEmpty else { return .reject(error(.badRequest, 21602, "Message body is required.")) }
        guard isPhoneNumber(to) else { return .reject(error(.badRequest, 21211, "Invalid 'To' Phone Number: \(to)")) }
        guard isPhoneNumber(from) else { return .reject(error(.badRequest, 21212, "Invalid From Number (caller ID): \(from)")) }
        guard body.count <= 1_600 else { return .reject(error(.badRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")) }
        return .proceed(ProviderCall(charges: [], twilioNumber: from) { context in
            let messageSID = context.random.hexID("SM", 32)
            let date = HTTPDate.format(epochSeconds: context.epochSeconds).replacingOccurrences(of: " GMT", with: " +0000")
            let uri = "/2010-04-01/Accounts/\(sid)/Messages/\(messageSID)"
            return .json(.created, .object([
                ("account_sid", .string(sid)), ("api_version", .string("2010-04-01")), ("body", .string(body)), ("date_created", .string(date)),
                ("date_sent", .null), ("date_updated", .string(date)), ("direction", .string("outbound-api")), ("error_code", .null),
                ("error_message", .null), ("from", .string(from)), ("messaging_service_sid", .null), ("num_media", .string("0")),
                ("num_segments", .string("\((body.count + 159) / 160)")), ("price", .null), ("price_unit", .string("USD")), ("sid", .string(messageSID)),
                ("status", .string("queued")), ("subresource_uris", .object([("media", .string(uri + "/Media.json"))])), ("to", .string(to)),
                ("uri", .string(uri + ".json")),
            ]))
        })
    }

    static func tooManyRequests(retryAfter: UInt64, refused: SandboxLimitName?, context: ResponseContext) -> HTTPResponse {
        var response = error(.tooManyRequests, 20429, "Too Many Requests")
        response.headers.add("Retry-After", "\(retryAfterSeconds(retryAfter))")
        return response
    }

    static func serverError(status: HTTPStatus, context: ResponseContext) -> HTTPResponse {
        error(status, 20500, "Internal Server Error")
    }

    private static func error(_ status: HTTPStatus, _ code: Int, _ message: String) -> HTTPResponse {
        .json(status, .object([("code", .integer(code)), ("message", .string(message)),
                               ("more_info", .string("https://www.twilio.com/docs/errors/\(code)")), ("status", .integer(status.code))]))
    }

    /// E.164: `+` and 8 to 15 digits.
    private static func isPhoneNumber(_ text: String) -> Bool {
        text.hasPrefix("+") && (8...15).contains(text.count - 1) && text.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }
}
