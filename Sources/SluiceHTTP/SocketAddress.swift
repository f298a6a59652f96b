import Glibc

/// An IPv4 address and port to listen on, e.g. `127.0.0.1:8080`.
public struct SocketAddress: Equatable, Sendable, CustomStringConvertible {
    /// Dotted-quad IPv4 address.
    public let host: String
    /// 0 asks the kernel for a free port; the bound address then holds the real one.
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (IPv4). The error names the value and the fix.
    public init(parsing text: String) throws(SocketAddressError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw SocketAddressError(value: text, reason: "it needs a port; write it like 127.0.0.1:8080")
        }
        let host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw SocketAddressError(value: text, reason: "the port is not a number in 0…65535")
        }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw SocketAddressError(value: text, reason: "\"\(host)\" is not an IPv4 address like 127.0.0.1")
        }
        self.init(host: host, port: port)
    }

    public var description: String { "\(host):\(port)" }

    /// True for 127.0.0.0/8: only this host can connect.
    public var isLoopback: Bool { host.hasPrefix("127.") }

    /// The address as the kernel takes it.
    func socketAddress() -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    init(_ address: sockaddr_in) {
        var addr = address.sin_addr
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.init(host: host, port: UInt16(bigEndian: address.sin_port))
    }
}

/// An address that cannot be listened on as written.
public struct SocketAddressError: Error, Equatable, CustomStringConvertible, Sendable {
    public let value: String
    public let reason: String
    public var description: String { "\"\(value)\" is not a listen address: \(reason)" }
}
