/// Decides, from a request's head alone, whether its body may be read and
/// the request handed to the handler: nil to go on, or the answer to send
/// instead (with `Connection: close`; the body is never read or buffered,
/// what the client already sent of it is discarded).
///
/// Runs on the server's event-loop thread: it must only look at the head
/// (route, token, Host), never block. `contentLength` is the body's declared
/// length (0 without one).
public typealias HTTPHeadScreen = @Sendable (_ head: HTTPRequest, _ contentLength: Int) -> HTTPResponse?
