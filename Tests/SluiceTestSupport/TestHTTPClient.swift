import Glibc
import SluicePOSIX

/// One HTTP response as a test client read it off the wire.
public struct TestHTTPResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first value of `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP connection to 127.0.0.1 that speaks raw bytes, so tests can
/// send exactly what a broken, slow or pipelining client would. Reads give up
/// after `timeout` seconds rather than hang a test.
public final class TestHTTPConnection: @unchecked Sendable {
    public let fd: Int32
    private var pending: [UInt8] = []

    public init(port: UInt16, timeout: Double = 5) throws {
        fd = try syscall("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        do {
            try syscall("connect") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends `text` as it is (no CRLF added).
    public func send(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Shuts the sending side (the server reads end of input).
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads one response; nil if the server closed (or went silent) first.
    /// Interim 1xx responses are returned like any other. An answer to HEAD
    /// (`toHead`) has no body whatever its Content-Length says.
    public func readResponse(toHead: Bool = false) -> TestHTTPResponse? {
        guard let headEnd = fill(until: { Self.find([13, 10, 13, 10], in: $0) }) else { return nil }
        let head = String(decoding: pending[..<headEnd], as: UTF8.self)
        pending.removeFirst(headEnd + 4)
        var lines = head.split(separator: "\r\n" as Character).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: " "))
        }
        let announced = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let length = toHead ? 0 : announced
        guard fill(until: { $0.count >= length ? length : nil }) != nil else { return nil }
        let body = Array(pending[..<length])
        pending.removeFirst(length)
        return TestHTTPResponse(status: status, headers: headers, body: body)
    }

    /// True if the server closed the connection (read returns 0 or a reset)
    /// within the receive timeout, discarding anything it still sent.
    public func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    public func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Reads until `complete` finds what it needs in `pending`.
    private func fill(until complete: ([UInt8]) -> Int?) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let found = complete(pending) { return found }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            pending.append(contentsOf: buffer[..<count])
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

extension TestHTTPConnection {
    /// Opens a connection, sends one request (with `Connection: close`), reads the answer.
    public static func request(port: UInt16, _ method: String, _ path: String, headers: [(String, String)] = [],
                               body: [UInt8] = []) throws -> TestHTTPResponse? {
        let connection = try TestHTTPConnection(port: port)
        connection.send(requestBytes(method, path, headers: headers + [("Connection", "close")], body: body))
        return connection.readResponse()
    }

    /// A well-formed HTTP/1.1 request with Host and Content-Length.
    public static func requestBytes(_ method: String, _ path: String, headers: [(String, String)] = [],
                                    body: [UInt8] = []) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
