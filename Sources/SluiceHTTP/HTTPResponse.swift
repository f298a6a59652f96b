/// What a handler answers: a status, header fields and a body.
///
/// The server owns the framing: it writes `Content-Length` and `Connection`
/// itself and ignores any the handler sets, so a handler cannot break the
/// connection's framing. `disposition` lets a handler close the connection
/// after answering, or drop it without answering (a fault the sandbox injects).
public struct HTTPResponse: Sendable, Equatable {
    /// What happens to the connection once this response is decided.
    public enum Disposition: Sendable, Equatable {
        /// Keep the connection open if the client asked for keep-alive.
        case keepAlive
        /// Answer, then close the connection.
        case close
        /// Close the connection without writing anything (simulates a dropped connection).
        case dropWithoutAnswer
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var disposition: Disposition

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: [UInt8] = [], disposition: Disposition = .keepAlive) {
        self.status = status
        self.headers = headers
        self.body = body
        self.disposition = disposition
    }

    /// A `text/plain; charset=utf-8` response; a newline is added if `text` lacks one.
    public static func text(_ status: HTTPStatus, _ text: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "text/plain; charset=utf-8")
        let body = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        return HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    /// An `application/json` response with `json` as its body, as given.
    public static func json(_ status: HTTPStatus, _ json: [UInt8], headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: json)
    }

    public static func json(_ status: HTTPStatus, _ json: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        Self.json(status, Array(json.utf8), headers: headers)
    }

    /// Closes the connection without writing a byte.
    public static let dropConnection = HTTPResponse(status: .internalServerError, disposition: .dropWithoutAnswer)
}
