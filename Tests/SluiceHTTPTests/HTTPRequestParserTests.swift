import Testing
@testable import SluiceHTTP

/// The request parser as data: bytes in, the expected outcome out. Each row is
/// also fed one byte at a time, which must give the same outcome.
@Suite struct HTTPRequestParserTests {
    enum Expected: Sendable {
        case needMore
        case request(method: String, path: String, query: String?, body: String, consumed: Int)
        case status(Int)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        let why: String
        let input: String
        let expected: Expected
        var testDescription: String { why }
    }

    static let small = HTTPLimits(maxRequestLineBytes: 64, maxHeaderCount: 4, maxHeaderBytes: 128, maxBodyBytes: 16)

    static let rows: [Row] = [
        Row(why: "a GET with Host", input: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
            expected: .request(method: "GET", path: "/a", query: nil, body: "", consumed: 28)),
        Row(why: "a POST with a body", input: "POST /t?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            expected: .request(method: "POST", path: "/t", query: "q=1", body: "hello", consumed: 57)),
        Row(why: "two pipelined requests: the first is returned with its own length",
            input: "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
            expected: .request(method: "GET", path: "/1", query: nil, body: "", consumed: 28)),
        Row(why: "a head without its blank line yet", input: "GET / HTTP/1.1\r\nHost: x\r\n", expected: .needMore),
        Row(why: "a body not all there yet", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel", expected: .needMore),
        Row(why: "empty lines before the request line are skipped (RFC 9112 §2.2)", input: "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
            expected: .request(method: "GET", path: "/", query: nil, body: "", consumed: 31)),
        Row(why: "HTTP/1.0 needs no Host", input: "GET / HTTP/1.0\r\n\r\n",
            expected: .request(method: "GET", path: "/", query: nil, body: "", consumed: 18)),
        Row(why: "absolute form is reduced to its path", input: "GET http://x:1/p?q HTTP/1.1\r\nHost: x\r\n\r\n",
            expected: .request(method: "GET", path: "/p", query: "q", body: "", consumed: 40)),
        Row(why: "identical repeated Content-Length is one length", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
            expected: .request(method: "POST", path: "/", query: nil, body: "ok", consumed: 68)),
        Row(why: "HTTP/1.1 without Host", input: "GET / HTTP/1.1\r\n\r\n", expected: .status(400)),
        Row(why: "two Host fields", input: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", expected: .status(400)),
        Row(why: "a bare LF line end", input: "GET / HTTP/1.1\nHost: x\n\n", expected: .status(400)),
        Row(why: "a request line of two words", input: "GET /\r\n\r\n", expected: .status(400)),
        Row(why: "double space in the request line", input: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", expected: .status(400)),
        Row(why: "a target that is not a path", input: "GET x HTTP/1.1\r\nHost: x\r\n\r\n", expected: .status(400)),
        Row(why: "a method with a non-token character", input: "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", expected: .status(400)),
        Row(why: "HTTP/2.0 is not served", input: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", expected: .status(505)),
        Row(why: "a version that is not one", input: "GET / HTTQ/1.1\r\nHost: x\r\n\r\n", expected: .status(400)),
        Row(why: "HTTP/1.2 is answered as 1.1", input: "GET / HTTP/1.2\r\nHost: x\r\n\r\n",
            expected: .request(method: "GET", path: "/", query: nil, body: "", consumed: 27)),
        Row(why: "a request line over the limit is refused before it ends", input: "GET /" + String(repeating: "a", count: 80),
            expected: .status(414)),
        Row(why: "a complete request line over the limit", input: "GET /" + String(repeating: "a", count: 60) + " HTTP/1.1\r\n",
            expected: .status(414)),
        Row(why: "more header fields than the limit", input: "GET / HTTP/1.1\r\nHost: x\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\n\r\n",
            expected: .status(431)),
        Row(why: "header bytes over the limit, before the line ends", input: "GET / HTTP/1.1\r\nHost: x\r\nx: " + String(repeating: "v", count: 200),
            expected: .status(431)),
        Row(why: "a body over the limit is refused from its Content-Length", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n",
            expected: .status(413)),
        Row(why: "chunked bodies need a length instead", input: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            expected: .status(411)),
        Row(why: "another transfer coding is not implemented", input: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            expected: .status(501)),
        Row(why: "both framings at once (smuggling)", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            expected: .status(400)),
        Row(why: "conflicting lengths", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", expected: .status(400)),
        Row(why: "a negative length", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", expected: .status(400)),
        Row(why: "a length with a sign", input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", expected: .status(400)),
        Row(why: "space before the colon", input: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", expected: .status(400)),
        Row(why: "a folded header line", input: "GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", expected: .status(400)),
        Row(why: "a header line without colon", input: "GET / HTTP/1.1\r\nHost\r\n\r\n", expected: .status(400)),
        Row(why: "a control character in a value", input: "GET / HTTP/1.1\r\nHost: x\u{1}y\r\n\r\n", expected: .status(400)),
        Row(why: "an expectation other than 100-continue", input: "GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", expected: .status(417)),
    ]

    @Test(arguments: rows)
    func parse_wholeInput_givesTheTabulatedOutcome(_ row: Row) {
        var parser = HTTPRequestParser(limits: Self.small)
        check(parser.parse(Array(row.input.utf8)[...]), row)
    }

    @Test(arguments: rows)
    func parse_oneByteAtATime_givesTheSameOutcome(_ row: Row) {
        var parser = HTTPRequestParser(limits: Self.small)
        let bytes = Array(row.input.utf8)
        var result = HTTPRequestParser.Result.needMore
        for end in 1...bytes.count {
            result = parser.parse(bytes[..<end])
            if result != .needMore { break }
        }
        check(result, row)
    }

    @Test func parse_afterARequest_startsOverAtTheNextOne() {
        var parser = HTTPRequestParser()
        var bytes = Array("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        guard case .request(let first, let consumed) = parser.parse(bytes[...]) else { Issue.record("no first request"); return }
        bytes.removeFirst(consumed)
        guard case .request(let second, _) = parser.parse(bytes[...]) else { Issue.record("no second request"); return }
        #expect(first.path == "/1" && second.path == "/2")
    }

    @Test func parse_expectContinue_asksForContinueUntilTheBodyArrives() {
        var parser = HTTPRequestParser()
        let head = Array("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8)
        #expect(parser.parse(head[...]) == .needMore)
        #expect(parser.awaitsContinue)
        guard case .request(let request, _) = parser.parse((head + Array("ok".utf8))[...]) else { Issue.record("no request"); return }
        #expect(request.bodyText == "ok")
        #expect(!parser.awaitsContinue)
    }

    @Test func parse_headers_keepOrderAndCompareNamesCaseInsensitively() {
        var parser = HTTPRequestParser()
        let bytes = Array("GET / HTTP/1.1\r\nhost: x\r\nX-A:  1 \r\nx-a: 2\r\n\r\n".utf8)
        guard case .request(let request, _) = parser.parse(bytes[...]) else { Issue.record("no request"); return }
        #expect(request.headers["HOST"] == "x")
        #expect(request.headers.values("X-A") == ["1", "2"])
    }

    private func check(_ result: HTTPRequestParser.Result, _ row: Row, sourceLocation: SourceLocation = #_sourceLocation) {
        switch (result, row.expected) {
        case (.needMore, .needMore):
            break
        case (.request(let request, let consumed), .request(let method, let path, let query, let body, let expectedConsumed)):
            #expect(request.method == method && request.path == path && request.query == query, "\(row.why)", sourceLocation: sourceLocation)
            #expect(request.bodyText == body && consumed == expectedConsumed, "\(row.why): consumed \(consumed)", sourceLocation: sourceLocation)
        case (.error(let status, _), .status(let code)):
            #expect(status.code == code, "\(row.why)", sourceLocation: sourceLocation)
        default:
            Issue.record("\(row.why): got \(result)", sourceLocation: sourceLocation)
        }
    }
}
