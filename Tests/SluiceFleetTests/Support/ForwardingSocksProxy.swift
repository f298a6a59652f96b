import Glibc
import SluicePOSIX
import Synchronization

/// A SOCKS5 proxy on 127.0.0.1 (port 0) that forwards each connection to the
/// destination it is asked for, after `delay(n)` seconds for the n-th
/// connection (0-based): a provider reached over a link whose connection
/// setup is slow once (a lost SYN costs Linux's 1 s initial retransmission
/// timeout) or always. Reached with `ALL_PROXY=socks5h://127.0.0.1:port`;
/// connections are kept alive as the client and the destination keep them.
/// With `jitter`, what the client sends waits a uniformly random 0…`jitter`
/// seconds before it is passed on (a network path's queueing delay).
final class ForwardingSocksProxy: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let delay: @Sendable (Int) -> Double
    private let jitter: Double
    private let accepted = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let threads = Mutex<[PosixThread]>([])
    private var acceptor: PosixThread?

    init(jitter: Double = 0, delay: @escaping @Sendable (Int) -> Double) throws {
        self.delay = delay
        self.jitter = jitter
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard fd >= 0,
              withUnsafePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }) == 0,
              listen(fd, 64) == 0,
              withUnsafeMutablePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }) == 0
        else { throw FixtureError("socks proxy: cannot listen (errno \(errno))") }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        acceptor = PosixThread.start { [self] in acceptLoop() }
    }

    deinit { stop() }

    /// Connections accepted so far.
    var connections: Int { accepted.load(ordering: .relaxed) }

    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptor?.join()
        close(listener)
        for thread in threads.withLock({ $0 }) { thread.join() }
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let index = accepted.add(1, ordering: .relaxed).oldValue
            let thread = PosixThread.start { [self] in serve(fd, index: index) }
            threads.withLock { $0.append(thread) }
        }
    }

    private func serve(_ client: Int32, index: Int) {
        defer { close(client) }
        guard let target = handshake(client) else { return }
        usleep(UInt32(delay(index) * 1e6))
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard upstream >= 0 else { return }
        defer { close(upstream) }
        var address = target
        guard withUnsafePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0,
              write(client, [5, 0, 0, 1, 127, 0, 0, 1, 0, 80]) else { return }
        relay(client, upstream)
    }

    /// Copies bytes both ways until either side closes or the proxy stops.
    private func relay(_ a: Int32, _ b: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !stopping.load(ordering: .acquiring) {
            var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, 100)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { return }
            for (from, to) in [(0, b), (1, a)] where fds[from].revents != 0 {
                let count = recv(fds[from].fd, &buffer, buffer.count, 0)
                guard count > 0 else { return }
                if from == 0, jitter > 0 { usleep(UInt32.random(in: 0...UInt32(jitter * 1e6))) }
                guard write(to, Array(buffer[..<count])) else { return }
            }
        }
    }

    /// A SOCKS5 CONNECT (no authentication) to an IPv4 address or a name
    /// that is one ("127.0.0.1", as socks5h sends it); nil if it is not.
    private func handshake(_ fd: Int32) -> sockaddr_in? {
        func read(_ count: Int) -> [UInt8]? {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: max(count, 1))
            while bytes.count < count {
                let got = recv(fd, &buffer, count - bytes.count, 0)
                guard got > 0 else { return nil }
                bytes.append(contentsOf: buffer[..<got])
            }
            return bytes
        }
        guard let greeting = read(2), read(Int(greeting[1])) != nil, write(fd, [5, 0]), let request = read(4) else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        switch request[3] {
        case 1:
            guard let ip = read(4) else { return nil }
            address.sin_addr.s_addr = UInt32(ip[0]) | UInt32(ip[1]) << 8 | UInt32(ip[2]) << 16 | UInt32(ip[3]) << 24
        case 3:
            guard let length = read(1), let name = read(Int(length[0])),
                  inet_pton(AF_INET, String(decoding: name, as: UTF8.self), &address.sin_addr) == 1 else { return nil }
        default:
            return nil
        }
        guard let port = read(2) else { return nil }
        address.sin_port = (UInt16(port[0]) << 8 | UInt16(port[1])).bigEndian
        return address
    }

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
}
