import Glibc
import SluicePOSIX

/// A connected, non-blocking stream socket (TCP or Unix) whose every wait is
/// a poll(2) bounded by the call's deadline. Closed on `close()` or deinit.
final class RedisSocket {
    private let fd: Int32
    private var isOpen = true
    /// Where `recv` lands before the parser takes it.
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(fd)
    }

    /// Connects within the budget: a non-blocking connect(2), then poll for
    /// writability and read SO_ERROR (connect(2), EINPROGRESS).
    static func connect(to target: SocketTarget, within budget: CallBudget) throws(RedisFailure) -> RedisSocket {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(target.family, type, 0)
        guard fd >= 0 else { throw .connectFailed(SystemError(call: "socket", errno: errno)) }
        let socket = RedisSocket(fd: fd)
        if target.isTCP {
            // Commands are small and latency is the point: no Nagle delay (tcp(7)).
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        let result = target.address.withUnsafeBytes { raw in
            Glibc.connect(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if result == 0 { return socket }
        let code = errno
        // EINTR: the connection goes on in the background, as after EINPROGRESS (connect(2)).
        guard code == EINPROGRESS || code == EINTR else {
            throw .connectFailed(SystemError(call: "connect(\(target))", errno: code))
        }
        guard PollWait.until(fd, events: Int16(POLLOUT), deadline: budget.deadline) else { throw budget.timedOut(.connect) }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        guard failure == 0 else { throw .connectFailed(SystemError(call: "connect(\(target))", errno: failure)) }
        return socket
    }

    /// Writes all of `bytes`. On failure, also says how many bytes the kernel
    /// took: a command with any of its bytes written may have reached Redis.
    func write(_ bytes: [UInt8], within budget: CallBudget, step: RedisStep) -> (written: Int, failure: RedisFailure?) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                // MSG_NOSIGNAL: a peer that went away is EPIPE here, not a SIGPIPE that kills the process.
                return send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 {
                offset += sent
                continue
            }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                guard PollWait.until(fd, events: Int16(POLLOUT), deadline: budget.deadline) else {
                    return (offset, budget.timedOut(step))
                }
            default:
                return (offset, .connectionLost(SystemError(call: "send", errno: code)))
            }
        }
        return (offset, nil)
    }

    /// Waits for bytes and hands what arrived to `parser`.
    func read(into parser: inout RESPParser, within budget: CallBudget, step: RedisStep) throws(RedisFailure) {
        while true {
            guard PollWait.until(fd, events: Int16(POLLIN), deadline: budget.deadline) else { throw budget.timedOut(step) }
            let received = scratch.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress, raw.count, 0) }
            if received > 0 {
                scratch.withUnsafeBytes { raw in parser.append(UnsafeRawBufferPointer(rebasing: raw[..<received])) }
                return
            }
            if received == 0 { throw .connectionLost(nil) }
            let code = errno
            if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
            throw .connectionLost(SystemError(call: "recv", errno: code))
        }
    }

    /// True when the idle connection cannot carry a new command: the server
    /// closed it or reset it, or sent something nobody asked for (so the
    /// replies would no longer line up with the commands).
    var isStale: Bool { !isOpen || PollWait.isReadable(fd) }
}
