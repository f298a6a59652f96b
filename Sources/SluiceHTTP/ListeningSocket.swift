import CSluiceShim
import Glibc
import SluicePOSIX

/// A non-blocking TCP socket bound and listening, and the operations the
/// event loop performs on sockets.
enum ListeningSocket {
    /// Binds `address` (port 0: any free port) and listens. Returns the
    /// descriptor and the address actually bound.
    static func open(_ address: SocketAddress, backlog: Int32) throws(SystemError) -> (Int32, SocketAddress) {
        let fd = try syscall("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            var reuse: Int32 = 1
            // A restarted server may bind while old connections sit in TIME_WAIT.
            try syscall("setsockopt(SO_REUSEADDR)") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size)) }
            var socketAddress = address.socketAddress()
            try syscall("bind(\(address))") {
                withUnsafePointer(to: &socketAddress) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            try syscall("listen(\(address))") { listen(fd, backlog) }
            return (fd, try boundAddress(fd))
        } catch {
            close(fd)
            throw error
        }
    }

    static func boundAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try syscall("getsockname") {
            withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return SocketAddress(bound)
    }

    /// Accepts one connection, non-blocking, with Nagle off (each answer is
    /// one write already; there is nothing to coalesce). Nil when none is waiting.
    static func accept(_ listener: Int32) -> Result<Int32, SystemError>? {
        while true {
            let fd = accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 {
                var on: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                return .success(fd)
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: return .failure(SystemError(call: "accept4", errno: errno))
            }
        }
    }

    /// What a non-blocking read or write did.
    enum Transfer: Equatable {
        case bytes(Int)
        case wouldBlock
        case endOfInput
        case failed(Int32)
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfInput }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    /// `read`, with the kernel's receive stamp (SO_TIMESTAMPNS, enabled by
    /// `enableArrivalStamps`) placed on CLOCK_MONOTONIC; nil when absent.
    static func readStamped(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> (Transfer, stampedAt: UInt64?) {
        // struct cmsghdr { size_t len; int level; int type; } then a timespec, 8-aligned.
        var control = [UInt64](repeating: 0, count: 8)
        while true {
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            let (count, controlLength): (Int, Int) = withUnsafeMutablePointer(to: &vector) { vectorPointer in
                control.withUnsafeMutableBytes { controlBytes in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let count = recvmsg(fd, &message, 0)
                    return (count, Int(message.msg_controllen))
                }
            }
            if count > 0 { return (.bytes(count), stamp(control, length: controlLength)) }
            if count == 0 { return (.endOfInput, nil) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return (.wouldBlock, nil)
            default: return (.failed(errno), nil)
            }
        }
    }

    /// SO_TIMESTAMPNS (and SCM_TIMESTAMPNS) on Linux.
    static let timestampOption: Int32 = 35

    /// Asks the kernel to stamp what `fd` receives.
    static func enableArrivalStamps(_ fd: Int32) {
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, timestampOption, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The stamp in a control buffer, as CLOCK_MONOTONIC ns. The words of
    /// the one message: [len, level | type << 32, tv_sec, tv_nsec].
    private static func stamp(_ control: [UInt64], length: Int) -> UInt64? {
        guard length >= 32, control[0] >= 32, Int32(truncatingIfNeeded: control[1]) == SOL_SOCKET,
              Int32(truncatingIfNeeded: control[1] >> 32) == timestampOption,
              control[3] < 1_000_000_000, control[2] < UInt64(Int64.max) / 1_000_000_000 else { return nil }
        let stamped = control[2] * 1_000_000_000 + control[3]
        var real = timespec()
        var monotonic = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        let realNow = UInt64(real.tv_sec) * 1_000_000_000 + UInt64(real.tv_nsec)
        let monotonicNow = UInt64(monotonic.tv_sec) * 1_000_000_000 + UInt64(monotonic.tv_nsec)
        // How long ago it arrived, by the wall clock; never in the future.
        let ago = realNow > stamped ? min(realNow - stamped, monotonicNow) : 0
        return monotonicNow - ago
    }

    /// One `send` of `bytes`; MSG_NOSIGNAL turns a closed peer into EPIPE, not SIGPIPE.
    static func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Transfer {
        while true {
            let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count >= 0 { return .bytes(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }
}
