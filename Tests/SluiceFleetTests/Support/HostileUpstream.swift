import Glibc
import SluicePOSIX
import Synchronization

/// A provider that misbehaves on purpose: a TCP server on 127.0.0.1 (port 0)
/// that reads each request and answers what `answer` says, byte for byte,
/// then closes. One thread accepts; one thread per connection answers.
///
/// Every request it receives is kept (head and body, as text) so a test can
/// see what the fleet sent. A test must `stop()` it (its threads hold it
/// alive until then): the listener closes and every thread is joined.
final class HostileUpstream: @unchecked Sendable {
    /// What to send back for one request.
    enum Answer: Sendable {
        /// These bytes (head and body), then close.
        case bytes([UInt8])
        /// `head`, then `chunk` again and again until the client goes away
        /// or `seconds` pass (an endless body).
        case stream(head: [UInt8], chunk: [UInt8], seconds: Double)
        /// Nothing at all for `seconds` (a server that took the request and hangs).
        case silence(seconds: Double)
    }

    /// A request as received.
    struct Request: Sendable {
        let head: String
        let body: [UInt8]
        var path: String { String(head.split(separator: " ").dropFirst().first ?? "") }
    }

    let port: UInt16
    private let listener: Int32
    private let answer: @Sendable (Request) -> Answer
    private let received = Mutex<[Request]>([])
    private let stopping = Atomic<Bool>(false)
    private let connections = Mutex<[PosixThread]>([])
    private var acceptor: PosixThread?
    /// When set, every connection is first a SOCKS5 handshake that takes
    /// this long (a provider whose connection setup is slow: a distant TLS
    /// handshake), reached with `ALL_PROXY=socks5h://127.0.0.1:port`.
    private let socksDelay: Double?

    init(socksDelay: Double? = nil, answer: @escaping @Sendable (Request) -> Answer) throws {
        self.answer = answer
        self.socksDelay = socksDelay
        let fd = try syscall("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        do {
            try syscall("bind") { withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } }
            try syscall("listen") { listen(fd, 64) }
            try syscall("getsockname") {
                withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            }
        } catch {
            close(fd)
            throw error
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        acceptor = PosixThread.start { [self] in acceptLoop() }
    }

    deinit { stop() }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far.
    var requests: [Request] { received.withLock { $0 } }

    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptor?.join()
        close(listener)
        for thread in connections.withLock({ $0 }) { thread.join() }
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let thread = PosixThread.start { [self] in serve(fd) }
            connections.withLock { $0.append(thread) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let socksDelay, !socksHandshake(fd, delay: socksDelay) { return }
        guard let request = readRequest(fd) else { return }
        received.withLock { $0.append(request) }
        switch answer(request) {
        case .bytes(let bytes):
            _ = write(fd, bytes)
        case .stream(let head, let chunk, let seconds):
            guard write(fd, head) else { return }
            let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
            while MonotonicClock.now() < deadline, !stopping.load(ordering: .acquiring), write(fd, chunk) {}
        case .silence(let seconds):
            let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
            while MonotonicClock.now() < deadline, !stopping.load(ordering: .acquiring) { usleep(20_000) }
        }
        shutdown(fd, Int32(SHUT_WR))
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        while headEnd == nil {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            bytes.append(contentsOf: buffer[..<count])
            headEnd = Self.find([13, 10, 13, 10], in: bytes)
        }
        guard let headEnd else { return nil }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        let length = head.split(separator: "\r\n").compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingPrefix(" "))
        }.first ?? 0
        while bytes.count < headEnd + 4 + length {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return Request(head: head, body: Array(bytes[(headEnd + 4)...]))
    }

    /// A SOCKS5 CONNECT (no authentication), answered after `delay` seconds.
    private func socksHandshake(_ fd: Int32, delay: Double) -> Bool {
        func read(_ count: Int) -> [UInt8]? {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: count)
            while bytes.count < count {
                let got = recv(fd, &buffer, count - bytes.count, 0)
                guard got > 0 else { return nil }
                bytes.append(contentsOf: buffer[..<got])
            }
            return bytes
        }
        guard let greeting = read(2), read(Int(greeting[1])) != nil, write(fd, [5, 0]),
              let request = read(4) else { return false }
        switch request[3] {
        case 1: guard read(4) != nil else { return false }
        case 3: guard let length = read(1), read(Int(length[0])) != nil else { return false }
        default: guard read(16) != nil else { return false }
        }
        guard read(2) != nil else { return false }
        usleep(UInt32(delay * 1e6))
        return write(fd, [5, 0, 0, 1, 127, 0, 0, 1, 0, 80])
    }

    /// Writes all of `bytes`; false once the peer is gone.
    private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// An HTTP/1.1 answer: status line, `headers`, `Connection: close`, then `body`.
    static func response(_ status: Int, _ headers: [(String, String)] = [], body: [UInt8] = [], contentLength: Int? = nil) -> [UInt8] {
        var head = "HTTP/1.1 \(status) Whatever\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let length = contentLength ?? (headers.contains { $0.0.lowercased() == "transfer-encoding" } ? nil : body.count) {
            head += "Content-Length: \(length)\r\n"
        }
        return Array((head + "Connection: close\r\n\r\n").utf8) + body
    }
}
