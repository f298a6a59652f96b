import Glibc
import SluiceHTTP
import SluiceJSON
import SluicePOSIX

/// A small blocking HTTP/1.1 client for the control plane, used by the CLI
/// (`sluice queue …`, `sluice top`): one connection per request
/// (`Connection: close`), read to the end. Each send and receive times out
/// after `timeoutSeconds`; an answer over 64 MiB is refused.
public struct ControlClient: Sendable {
    public let address: SocketAddress
    /// Sent as `Authorization: Bearer …` when set.
    public let token: String?
    public var timeoutSeconds = 10
    /// When set (CLOCK_MONOTONIC ns), the whole exchange (connect, send,
    /// every read) ends by then: each wait is cut to what is left.
    public var deadline: UInt64?

    public init(address: SocketAddress, token: String?) {
        self.address = address
        self.token = token
    }

    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]

        /// The body as a JSON object, if it is one.
        public var json: JSONObject? {
            guard case .object(let object)? = try? JSONParser.parse(body) else { return nil }
            return object
        }

        /// The server's `{"error": …}`, or the body's text.
        public var message: String {
            if case .string(let text)? = json?["error"] { return text }
            return String(decoding: body, as: UTF8.self).trimmingTrailingNewlines
        }
    }

    public func send(_ method: String, _ path: String, body: [UInt8] = [],
                     contentType: String = "application/json") throws(ControlClientError) -> Response {
        // X-Sluice-Request: a program, not a web page (see BrowserGuard).
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
            + "\(BrowserGuard.requestHeader): 1\r\n"
        if !body.isEmpty { head += "Content-Type: \(contentType)\r\n" }
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        let fd = try connect()
        defer { close(fd) }
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .failed("sending to \(address): \(String(cString: strerror(errno)))")
            }
            sent += count
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if deadline != nil { try limitWaits(fd) }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                if errno == EINTR { continue }
                throw .failed(errno == EAGAIN ? "no answer from \(address) within \(deadline == nil ? "\(timeoutSeconds) s" : "its deadline")" : "reading from \(address): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            answer.append(contentsOf: buffer[..<count])
            if answer.count > 64 << 20 { throw .failed("\(address) sent an answer over 64 MiB") }
        }
        return try Self.parse(answer, from: address)
    }

    private func connect() throws(ControlClientError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed("socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if deadline != nil {
            do { try limitWaits(fd) } catch { close(fd); throw error }
        }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = address.port.bigEndian
        inet_pton(AF_INET, address.host, &socketAddress.sin_addr)
        let result = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw code == ECONNREFUSED ? .notRunning(address) : .failed("connecting to \(address): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// Cuts the socket's send and receive waits (connect's too, on Linux) to
    /// what is left before `deadline`; throws once nothing is.
    private func limitWaits(_ fd: Int32) throws(ControlClientError) {
        guard let deadline else { return }
        let now = MonotonicClock.now()
        guard now < deadline else { throw .failed("no answer from \(address) within its deadline") }
        let left = min(deadline - now, UInt64(timeoutSeconds) * 1_000_000_000)
        var timeout = timeval(tv_sec: Int(left / 1_000_000_000), tv_usec: max(1, Int(left % 1_000_000_000 / 1000)))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Splits an answer read to its end into status and body.
    static func parse(_ answer: [UInt8], from address: SocketAddress) throws(ControlClientError) -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = answer.indices.first(where: { answer[$0...].starts(with: separator) }) else {
            throw .failed("\(address) sent no complete HTTP answer")
        }
        let head = String(decoding: answer[..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .failed("\(address) answered something that is not HTTP: \(statusLine.prefix(80))")
        }
        return Response(status: status, body: Array(answer[(end + 4)...]))
    }
}

public enum ControlClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing listens there: the fleet is not running.
    case notRunning(SocketAddress)
    case failed(String)

    public var description: String {
        switch self {
        case .notRunning(let address): "no fleet answers at \(address) (connection refused)"
        case .failed(let reason): reason
        }
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while text.last == "\n" || text.last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
