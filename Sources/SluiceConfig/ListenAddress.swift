/// Where the supervisor's HTTP listener binds: an IPv4 literal and a port.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public static let defaultAddress = ListenAddress(host: "127.0.0.1", port: 9464)

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `"127.0.0.1:9464"`, `"0.0.0.0:80"` or `"localhost:0"`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
        let host = parts[0] == "localhost" ? "127.0.0.1" : String(parts[0])
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil }) else { return nil }
        self.init(host: host, port: port)
    }

    /// True for 127.0.0.0/8: reachable only from this host.
    public var isLoopback: Bool { host.hasPrefix("127.") }

    public var description: String { "\(host):\(port)" }
}
