extension HTTPResponse {
    /// The whole response, status line to last body byte, as one buffer: the
    /// server hands it to one `write`, because a head and a body written
    /// separately meet Nagle's algorithm and the peer's delayed ACK and cost
    /// about 40 ms per request.
    ///
    /// - Parameters:
    ///   - keepAlive: false adds `Connection: close`.
    ///   - minorVersion: the request's HTTP minor version; a 1.0 client that
    ///     keeps the connection is told `Connection: keep-alive`.
    ///   - includeBody: false for HEAD: the length is announced, the body not sent.
    ///   - date: the `Date` field's value (IMF-fixdate), if the caller has a clock.
    public func serialized(keepAlive: Bool, minorVersion: Int = 1, includeBody: Bool = true, date: String? = nil) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(Self.clean(status.reason))\r\n"
        if let date { head += "Date: \(date)\r\n" }
        for (name, value) in headers where !Self.isFraming(name) {
            head += "\(Self.clean(name)): \(Self.clean(value))\r\n"
        }
        if !status.forbidsBody { head += "Content-Length: \(body.count)\r\n" }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if minorVersion == 0 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if includeBody && !status.forbidsBody {
            bytes.reserveCapacity(bytes.count + body.count)
            bytes.append(contentsOf: body)
        }
        return bytes
    }

    /// Fields only the server may write: they decide where a message ends.
    private static func isFraming(_ name: String) -> Bool {
        HTTPHeaders.same(name, "Content-Length") || HTTPHeaders.same(name, "Connection")
            || HTTPHeaders.same(name, "Transfer-Encoding") || HTTPHeaders.same(name, "Date")
    }

    /// CR and LF in a handler's text would let it inject fields or a second
    /// response (response splitting); they become spaces.
    private static func clean(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }
}
