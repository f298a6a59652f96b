import Glibc

/// An address a socket can connect to: its family and the `sockaddr` bytes.
struct SocketTarget: Sendable, Equatable, CustomStringConvertible {
    let family: Int32
    let address: [UInt8]
    /// How messages name it: `127.0.0.1:6379`, `[::1]:6379`, `/run/redis.sock`.
    let description: String

    var isTCP: Bool { family != AF_UNIX }

    static func unix(path: String) -> SocketTarget {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { room in
            // RedisEndpoint refuses paths longer than 107 bytes; the rest stays NUL.
            for (index, byte) in path.utf8.prefix(room.count - 1).enumerated() { room[index] = byte }
        }
        return SocketTarget(family: AF_UNIX, address: bytes(of: address), description: path)
    }

    /// The address of an IPv4 or IPv6 literal; nil for a host name.
    static func literal(_ host: String, port: UInt16) -> SocketTarget? {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            return SocketTarget(family: AF_INET, address: bytes(of: v4), description: "\(host):\(port)")
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            return SocketTarget(family: AF_INET6, address: bytes(of: v6), description: "[\(host)]:\(port)")
        }
        return nil
    }

    /// A `sockaddr` that getaddrinfo(3) returned for `host`.
    static func resolved(_ address: UnsafePointer<sockaddr>, length: socklen_t, host: String, port: UInt16) -> SocketTarget {
        let raw = Array(UnsafeRawBufferPointer(start: address, count: Int(length)))
        return SocketTarget(family: Int32(address.pointee.sa_family), address: raw, description: "\(host):\(port)")
    }

    private static func bytes<T>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}
