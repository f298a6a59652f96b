import Glibc
import SluicePOSIX
import SluiceRedis
import SluiceTestSupport
import Testing

/// A TCP listener on 127.0.0.1 that answers whatever it is sent with canned
/// bytes (or nothing), then holds the connection until the client closes it.
final class CannedServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32

    init(answer: [UInt8]?) throws {
        listener = try syscall("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try syscall("bind") { bind(fd, raw, length) }
                try syscall("getsockname") { getsockname(fd, raw, &length) }
            }
        }
        try syscall("listen") { listen(fd, 8) }
        port = UInt16(bigEndian: address.sin_port)
        PosixThread.start {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return } // the listener was shut down
                var buffer = [UInt8](repeating: 0, count: 4096)
                if recv(connection, &buffer, buffer.count, 0) > 0, let answer {
                    _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                while recv(connection, &buffer, buffer.count, 0) > 0 {}
                close(connection)
            }
        }.detach()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

extension LiveRedis {
    /// Servers that are not Redis, or misbehave: a clear typed error within the budget, never a trap.
    @Suite struct HostileServers {
        static func firstError(answer: [UInt8]?) throws -> (RedisError?, Double) {
            let server = try CannedServer(answer: answer)
            let redis = RedisConnection(endpoint: try RedisEndpoint(parsing: "redis://127.0.0.1:\(server.port)"),
                                        options: RedisOptions(timeout: .milliseconds(200)))
            return Live.timed { Live.error { try redis.send("GET", "k") } }
        }

        @Test func anHTTPServer_isNotRedis_andTheErrorSaysSo() throws {
            let (error, _) = try Self.firstError(answer: Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            guard case .notSent(.protocolViolation(let violation))? = error, let error else {
                Issue.record("expected a protocol violation in the handshake, got \(String(describing: error))")
                return
            }
            #expect(violation.kind == .unknownType(UInt8(ascii: "H")))
            #expect(error.description.contains("is this a Redis port?"))
        }

        @Test func anAnnouncedHugeBulk_isRefusedFromItsHeader() throws {
            let (error, milliseconds) = try Self.firstError(answer: Array("$999999999999\r\n".utf8))
            guard case .notSent(.protocolViolation(let violation))? = error else {
                Issue.record("expected bulkTooLong, got \(String(describing: error))")
                return
            }
            #expect(violation.kind == .bulkTooLong)
            #expect(milliseconds < 200, "refused at once, not after waiting for the bytes")
        }

        @Test func aSilentServer_timesOutInTheHandshake_withinTheBudget() throws {
            let (error, milliseconds) = try Self.firstError(answer: nil)
            guard case .notSent(.timedOut(.handshake, _))? = error else {
                Issue.record("expected the handshake to time out, got \(String(describing: error))")
                return
            }
            #expect(milliseconds >= 199 && milliseconds < 200 + LiveRedis.Failures.slackMilliseconds)
        }
    }
}
