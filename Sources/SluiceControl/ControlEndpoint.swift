import Glibc
import SluiceHTTP
import SluiceJSON
import SluicePOSIX

/// Where a running fleet's listener is, written by the supervisor to
/// `<spool root>/control.json` so the CLI finds it without being told (the
/// configured port may be 0, and `0.0.0.0` is not an address to connect to).
public struct ControlEndpoint: Equatable, Sendable {
    public var pid: pid_t
    public var address: SocketAddress
    public var fleet: String

    public init(pid: pid_t, address: SocketAddress, fleet: String) {
        self.pid = pid
        self.address = address
        self.fleet = fleet
    }

    static func path(root: String) -> String { "\(root)/control.json" }

    /// The address to connect to: the bound one, or loopback for a wildcard bind.
    public var connectAddress: SocketAddress {
        address.host == "0.0.0.0" ? SocketAddress(host: "127.0.0.1", port: address.port) : address
    }

    func write(root: String) throws(SystemError) {
        let json = JSONValue.object([
            ("pid", .integer(Int(pid))), ("address", .string("\(address)")), ("fleet", .string(fleet)),
        ])
        try FileContents.replace(Self.path(root: root), with: JSONWriter.bytes(json) + [0x0A])
    }

    /// The endpoint of the fleet running on `root`; nil when none is written
    /// or its supervisor is gone (a file left by a `kill -9`).
    public static func read(root: String) -> ControlEndpoint? {
        guard let bytes = try? FileContents.read(path(root: root), limit: 4096),
              case .object(let object)? = try? JSONParser.parse(bytes),
              let pid = object.integer(at: "pid"), case .string(let addressText)? = object["address"],
              case .string(let fleet)? = object["fleet"],
              let address = try? SocketAddress(parsing: addressText),
              let owner = pid_t(exactly: pid), owner > 0, ProcessLiveness.isAlive(owner)
        else { return nil }
        return ControlEndpoint(pid: owner, address: address, fleet: fleet)
    }

    static func remove(root: String, ifOwnedBy pid: pid_t) {
        guard let bytes = try? FileContents.read(path(root: root), limit: 4096),
              case .object(let object)? = try? JSONParser.parse(bytes), object.integer(at: "pid") == Int(pid)
        else { return }
        unlink(path(root: root))
    }
}
