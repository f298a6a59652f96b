import Glibc
import SluicePOSIX

/// The least an HTTP/1.1 client can do over one keep-alive connection to
/// 127.0.0.1: write the request, read the head, read Content-Length bytes.
///
/// It is the baseline the HTTP executor's latency is compared with (what
/// the executor (libcurl) adds over a bare socket round trip to the same server), and
/// how the bench reads the sandbox's stats. Not a general client: answers
/// must carry Content-Length (the sandbox's always do).
final class E2EBareHTTPClient {
    private let socket: Int32
    private let port: UInt16
    private var buffer: [UInt8] = []
    /// Reused for every read, so the baseline does not time an allocation.
    private var chunk = [UInt8](repeating: 0, count: 65536)

    init(port: UInt16) throws {
        self.port = port
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw SystemError(call: "socket", errno: errno) }
        var one: Int32 = 1
        // As curl (the executor's engine) does: no Nagle delay on small writes.
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(socket)
            throw SystemError(call: "connect(127.0.0.1:\(port))", errno: code)
        }
    }

    deinit { close(socket) }

    /// Sends one request and returns the answer's status and body.
    func exchange(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json") throws -> (status: Int, body: [UInt8]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if !body.isEmpty || method != "GET" { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        try write(Array((head + "\r\n").utf8) + body)
        let headEnd = try readUntilHeadEnd()
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        let lines = headText.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { throw BenchError("bench e2e: not an HTTP answer: \(headText.prefix(80))") }
        let lengthLine = lines.first { $0.lowercased().hasPrefix("content-length:") }
        let length = lengthLine.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffer.count < length { try fill() }
        let answer = Array(buffer[..<length])
        buffer.removeFirst(length)
        return (status, answer)
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "send", errno: errno)
            }
            offset += written
        }
    }

    /// The offset of "\r\n\r\n" in the buffer, reading until it is there.
    private func readUntilHeadEnd() throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                for index in searchFrom...(buffer.count - 4)
                where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                    return index
                }
                searchFrom = buffer.count - 3
            }
            try fill()
        }
    }

    private func fill() throws {
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count < 0, errno == EINTR { return }
        guard count > 0 else { throw BenchError("bench e2e: the server closed the connection (\(count < 0 ? String(cString: strerror(errno)) : "EOF"))") }
        buffer += chunk[..<count]
    }
}
