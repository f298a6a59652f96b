import SluiceHTTP
import SluiceTestSupport
import Testing

/// A real server on a real socket against requests it must refuse: each gets
/// its status, `Connection: close`, and the connection is closed.
@Suite struct HTTPServerFramingTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let why: String
        let bytes: String
        let status: Int
        var testDescription: String { why }
    }

    static let limits = HTTPLimits(maxRequestLineBytes: 256, maxHeaderCount: 10, maxHeaderBytes: 1024, maxBodyBytes: 1000)

    static let rows: [Row] = [
        Row(why: "garbage", bytes: "HELLO\r\n\r\n", status: 400),
        Row(why: "binary noise", bytes: "\u{0}\u{1}\u{2}\r\n\r\n", status: 400),
        Row(why: "no Host in HTTP/1.1", bytes: "GET / HTTP/1.1\r\n\r\n", status: 400),
        Row(why: "request line too long", bytes: "GET /" + String(repeating: "x", count: 300) + " HTTP/1.1\r\n\r\n", status: 414),
        Row(why: "request line too long and never ended", bytes: "GET /" + String(repeating: "x", count: 300), status: 414),
        Row(why: "too many header fields", bytes: "GET / HTTP/1.1\r\nHost: a\r\n" + (0..<11).map { "X-\($0): v\r\n" }.joined() + "\r\n", status: 431),
        Row(why: "header fields too large", bytes: "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 1100) + "\r\n\r\n", status: 431),
        Row(why: "body larger than the limit, refused before it is sent", bytes: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", status: 413),
        Row(why: "chunked body", bytes: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", status: 411),
        Row(why: "unknown transfer coding", bytes: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n", status: 501),
        Row(why: "HTTP/2 preface", bytes: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505),
        Row(why: "bad Content-Length", bytes: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", status: 400),
    ]

    @Test(arguments: rows)
    func badRequest_isAnsweredWithItsStatusAndClosed(_ row: Row) async throws {
        let configuration = HTTPServerConfiguration(limits: Self.limits)
        let (status, connection, closed) = try await withTestServer(configuration) { port, _ in
            let client = try TestHTTPConnection(port: port)
            client.send(row.bytes)
            let response = client.readResponse()
            return (response?.status, response?.header("Connection"), client.waitForClose())
        }
        #expect(status == row.status)
        #expect(connection == "close")
        #expect(closed)
    }

    @Test func serverAfterBadRequests_stillAnswersGoodOnes() async throws {
        let response = try await withTestServer { port, _ in
            for junk in ["\r\nJUNK\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\nHost: a\r\n\r\n"] {
                let client = try TestHTTPConnection(port: port)
                client.send(junk)
                _ = client.readResponse()
            }
            return try TestHTTPConnection.request(port: port, "GET", "/ok")
        }
        #expect(response?.status == 200)
        #expect(response?.text == "GET /ok \n")
    }

    @Test func head_announcesTheLengthButSendsNoBody_andTheConnectionStaysUsable() async throws {
        let (head, next) = try await withTestServer { port, _ in
            let client = try TestHTTPConnection(port: port)
            client.send(TestHTTPConnection.requestBytes("HEAD", "/x"))
            let head = client.readResponse(toHead: true)
            client.send(TestHTTPConnection.requestBytes("GET", "/y"))
            return (head, client.readResponse())
        }
        // The GET's answer is only read right if HEAD's answer had no body.
        #expect(head?.status == 200)
        #expect(head?.header("Content-Length") == "9")
        #expect(next?.text == "GET /y \n")
    }

    @Test func expectContinue_getsOneHundredBeforeTheBody() async throws {
        let (interim, final) = try await withTestServer { port, _ in
            let client = try TestHTTPConnection(port: port)
            client.send("PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = client.readResponse()
            client.send("hello")
            return (interim, client.readResponse())
        }
        #expect(interim?.status == 100)
        #expect(final?.text == "PUT /up hello\n")
    }

    @Test func largeBody_roundTripsIntact() async throws {
        let body = (0..<(3 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let handler: HTTPHandler = { request in HTTPResponse(status: .ok, body: request.body) }
        let received = try await withTestServer(handler: handler) { port, _ in
            try TestHTTPConnection.request(port: port, "POST", "/echo", body: body)?.body
        }
        #expect(received == body)
    }

    @Test func http10_isClosedAfterItsAnswerUnlessItAsksForKeepAlive() async throws {
        let (plain, kept) = try await withTestServer { port, _ in
            let first = try TestHTTPConnection(port: port)
            first.send("GET /a HTTP/1.0\r\n\r\n")
            let plain = (first.readResponse()?.header("Connection"), first.waitForClose())
            let second = try TestHTTPConnection(port: port)
            second.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let header = second.readResponse()?.header("Connection")
            second.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            return (plain, (header, second.readResponse()?.text))
        }
        #expect(plain.0 == "close" && plain.1)
        #expect(kept.0 == "keep-alive" && kept.1 == "GET /b \n")
    }
}
