/// Parses a request's head, its request line and header lines already split,
/// and decides how the body is framed. Pure; used by `HTTPRequestParser`.
enum HTTPHeadParser {
    struct Parsed {
        var request: HTTPRequest
        var contentLength: Int
        var expectsContinue: Bool
    }

    struct Failure: Error {
        var status: HTTPStatus
        var reason: String
        init(_ status: HTTPStatus, _ reason: String) {
            self.status = status
            self.reason = reason
        }
    }

    static func parse(requestLine: ArraySlice<UInt8>, headerLines: [ArraySlice<UInt8>], limits: HTTPLimits) -> Result<Parsed, Failure> {
        do {
            let (method, target, minor) = try parseRequestLine(requestLine)
            var headers = HTTPHeaders()
            for line in headerLines {
                let (name, value) = try parseField(line)
                headers.add(name, value)
            }
            var request = HTTPRequest(method: method, target: target, minorVersion: minor, headers: headers)
            request.headers = headers
            let length = try contentLength(headers, minorVersion: minor, limits: limits)
            try checkHost(headers, minorVersion: minor)
            let expects = try expectsContinue(headers, minorVersion: minor)
            return .success(Parsed(request: request, contentLength: length, expectsContinue: expects && length > 0))
        } catch {
            return .failure(error)
        }
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3), single spaces.
    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(Failure) -> (String, String, Int) {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Failure(.badRequest, "the request line is not \"METHOD /path HTTP/1.1\"") }
        guard !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else { throw Failure(.badRequest, "the method is not a token") }
        let minor = try parseVersion(parts[2])
        let target = try parseTarget(parts[1], method: parts[0])
        return (String(decoding: parts[0], as: UTF8.self), target, minor)
    }

    /// `HTTP/1.0` or `HTTP/1.1` (a higher 1.x is answered as 1.1); another major version is 505.
    private static func parseVersion(_ text: ArraySlice<UInt8>) throws(Failure) -> Int {
        let bytes = Array(text)
        guard bytes.count == 8, bytes[0..<5].elementsEqual("HTTP/".utf8), bytes[6] == UInt8(ascii: "."),
              isDigit(bytes[5]), isDigit(bytes[7]) else {
            throw Failure(.badRequest, "the version is not HTTP/1.1")
        }
        guard bytes[5] == UInt8(ascii: "1") else {
            throw Failure(.httpVersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are served")
        }
        return min(Int(bytes[7] - UInt8(ascii: "0")), 1)
    }

    /// Origin form (`/path?query`), `*` for OPTIONS, or absolute form reduced to its path.
    private static func parseTarget(_ text: ArraySlice<UInt8>, method: ArraySlice<UInt8>) throws(Failure) -> String {
        guard !text.isEmpty, text.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Failure(.badRequest, "the request target is empty or holds a character that must be percent-encoded")
        }
        let target = String(decoding: text, as: UTF8.self)
        if target.hasPrefix("/") { return target }
        if target == "*" && method.elementsEqual("OPTIONS".utf8) { return target }
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            let path = String(rest[slash...])
            return path.hasPrefix("?") ? "/" + path : path
        }
        throw Failure(.badRequest, "the request target must start with \"/\"")
    }

    /// `name: OWS value OWS`; no space before the colon, no line folding (RFC 9112 §5).
    private static func parseField(_ line: ArraySlice<UInt8>) throws(Failure) -> (String, String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw Failure(.badRequest, "a header line has no colon")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw Failure(.badRequest, "a header name is empty, folded or holds a character a token may not")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else {
            throw Failure(.badRequest, "the value of header \(String(decoding: name, as: UTF8.self)) holds a control character")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// The body length. Bodies come with Content-Length only: chunked is 411
    /// (so the client can resend with a length), any other coding 501, and
    /// both framings at once 400 (the request-smuggling shape, RFC 9112 §6.3).
    private static func contentLength(_ headers: HTTPHeaders, minorVersion: Int, limits: HTTPLimits) throws(Failure) -> Int {
        let lengths = headers.values("Content-Length")
        let codings = headers.values("Transfer-Encoding")
        if !codings.isEmpty {
            guard lengths.isEmpty, minorVersion == 1 else {
                throw Failure(.badRequest, "Transfer-Encoding with Content-Length, or in HTTP/1.0, is ambiguous framing")
            }
            let all = codings.flatMap { $0.split(separator: ",").map { $0.trimmingASCIISpaces().lowercased() } }
            if all == ["chunked"] { throw Failure(.lengthRequired, "chunked request bodies are not accepted; send Content-Length") }
            throw Failure(.notImplemented, "Transfer-Encoding \(codings.joined(separator: ", ")) is not supported; send Content-Length")
        }
        let values = lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingASCIISpaces() } }
        guard let first = values.first else { return 0 }
        guard values.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
              first.utf8.allSatisfy(isDigit), let length = Int(first) else {
            throw Failure(.badRequest, "Content-Length is not one non-negative integer")
        }
        guard length <= limits.maxBodyBytes else {
            throw Failure(.contentTooLarge, "the body (\(length) bytes) is larger than the limit of \(limits.maxBodyBytes) bytes")
        }
        return length
    }

    /// HTTP/1.1 requires exactly one Host field (RFC 9112 §3.2).
    private static func checkHost(_ headers: HTTPHeaders, minorVersion: Int) throws(Failure) {
        let hosts = headers.values("Host")
        guard hosts.count <= 1, minorVersion == 0 || hosts.count == 1 else {
            throw Failure(.badRequest, "an HTTP/1.1 request needs exactly one Host field")
        }
    }

    /// `Expect: 100-continue` is understood; any other expectation is 417.
    private static func expectsContinue(_ headers: HTTPHeaders, minorVersion: Int) throws(Failure) -> Bool {
        guard let expect = headers["Expect"] else { return false }
        guard expect.lowercased() == "100-continue" else {
            throw Failure(.expectationFailed, "the only expectation served is 100-continue")
        }
        return minorVersion == 1
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// tchar (RFC 9110 §5.6.2): letters, digits and !#$%&'*+-.^_`|~
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }
}
