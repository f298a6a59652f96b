import Glibc

/// Speaks systemd's notification protocol (sd_notify(3)) without libsystemd:
/// one `AF_UNIX` datagram of `KEY=VALUE` lines per message, sent to the
/// socket named by `$NOTIFY_SOCKET`.
///
/// Invariants: the socket is close-on-exec, and `fromEnvironment()` removes
/// `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the environment,
/// so spawned workers neither inherit the descriptor nor believe they are
/// the unit's main process (with `NotifyAccess=main` systemd would drop
/// their messages; with `all` a worker's READY=1 would lie about the fleet).
/// A send never blocks: a full socket buffer is an error the caller retries.
public final class SystemdNotifier: Sendable {
    /// Where messages go, as parsed from `$NOTIFY_SOCKET`.
    public let address: NotifySocketAddress
    /// How often systemd expects `WATCHDOG=1` at the latest, in nanoseconds;
    /// nil when the unit has no `WatchdogSec=` (or it is meant for another pid).
    public let watchdogTimeout: UInt64?
    private let descriptor: Int32

    /// Opens the datagram socket for `address` (nothing is sent yet).
    public init(address: NotifySocketAddress, watchdogTimeout: UInt64?) throws(SystemError) {
        self.address = address
        self.watchdogTimeout = watchdogTimeout
        descriptor = try syscall("socket(AF_UNIX, SOCK_DGRAM)") {
            socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    deinit { close(descriptor) }

    /// The notifier systemd asked for through this process's environment, or
    /// nil when not started by systemd with `Type=notify` (no `NOTIFY_SOCKET`).
    /// Removes the variables from the environment either way (see the type's
    /// invariant); call it before any child is spawned.
    ///
    /// Throws `NotifyEnvironmentError` for a value it cannot use (the unit is
    /// then misconfigured, and READY=1 could never be sent).
    public static func fromEnvironment(pid: pid_t = getpid()) throws -> SystemdNotifier? {
        let variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]
        let values = variables.map { name in getenv(name).map { String(cString: $0) } }
        for (name, value) in zip(variables, values) where value != nil { unsetenv(name) }
        guard let socketText = values[0] else { return nil }
        let address = try NotifySocketAddress(parsing: socketText)
        let watchdog = try WatchdogSetting.parse(usec: values[1], pid: values[2], ownPID: pid)
        return try SystemdNotifier(address: address, watchdogTimeout: watchdog)
    }

    /// Sends `lines` (e.g. `["READY=1", "STATUS=3 workers"]`) as one datagram.
    /// Throws when systemd is gone or its buffer is full (`EAGAIN`): the
    /// message was not delivered and may be sent again.
    public func send(_ lines: [String]) throws(SystemError) {
        let message = Array(lines.joined(separator: "\n").utf8)
        var socketAddress = address.socketAddress()
        let length = address.socketLength
        _ = try syscall("sendto(NOTIFY_SOCKET \(address))") {
            message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &socketAddress) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                        sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), generic, length)
                    }
                }
            }
        }
    }
}

/// The address in `$NOTIFY_SOCKET`: a file-system path (`/run/systemd/notify`)
/// or an abstract name (`@name`, its leading `@` standing for a NUL byte).
public enum NotifySocketAddress: Equatable, Sendable, CustomStringConvertible {
    case path(String)
    case abstract(String)

    /// `sockaddr_un.sun_path` holds 108 bytes, a path's terminating NUL included.
    static let capacity = 108

    public init(parsing text: String) throws(NotifyEnvironmentError) {
        if text.hasPrefix("/") {
            guard text.utf8.count < Self.capacity else {
                throw NotifyEnvironmentError("NOTIFY_SOCKET", text, "is longer than a unix socket path may be (107 bytes)")
            }
            self = .path(text)
        } else if text.hasPrefix("@"), text.utf8.count > 1 {
            guard text.utf8.count <= Self.capacity else {
                throw NotifyEnvironmentError("NOTIFY_SOCKET", text, "is longer than an abstract socket name may be (107 bytes)")
            }
            self = .abstract(String(text.dropFirst()))
        } else {
            // systemd ≥ 253 may also offer vsock:…; Sluice's units never ask for it.
            throw NotifyEnvironmentError("NOTIFY_SOCKET", text, "is neither an absolute path nor an @abstract name")
        }
    }

    public var description: String {
        switch self {
        case .path(let path): path
        case .abstract(let name): "@" + name
        }
    }

    /// The name's bytes as they go in `sun_path`: an abstract name starts with NUL.
    var pathBytes: [UInt8] {
        switch self {
        case .path(let path): Array(path.utf8)
        case .abstract(let name): [0] + Array(name.utf8)
        }
    }

    func socketAddress() -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = pathBytes
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        return address
    }

    /// An abstract name's length counts exactly its bytes (no terminator):
    /// a trailing NUL would be part of the name and miss systemd's socket.
    var socketLength: socklen_t {
        let header = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        switch self {
        case .path: return socklen_t(header + pathBytes.count + 1)
        case .abstract: return socklen_t(header + pathBytes.count)
        }
    }
}

/// `$WATCHDOG_USEC` and `$WATCHDOG_PID`, as sd_watchdog_enabled(3) reads them.
public enum WatchdogSetting {
    /// The watchdog timeout in nanoseconds, or nil when there is none for
    /// `ownPID`: no `WATCHDOG_USEC`, or a `WATCHDOG_PID` naming another
    /// process (the variables were inherited from a parent that is the
    /// unit's main process). A value that is not a positive integer throws.
    public static func parse(usec: String?, pid: String?, ownPID: pid_t) throws(NotifyEnvironmentError) -> UInt64? {
        guard let usec else { return nil }
        guard let microseconds = UInt64(usec), microseconds > 0, microseconds <= UInt64.max / 1_000 else {
            throw NotifyEnvironmentError("WATCHDOG_USEC", usec, "is not a positive number of microseconds")
        }
        if let pid {
            guard let target = pid_t(pid), target > 0 else {
                throw NotifyEnvironmentError("WATCHDOG_PID", pid, "is not a process id")
            }
            if target != ownPID { return nil }
        }
        return microseconds * 1_000
    }
}

/// A systemd variable whose value Sluice cannot use; names the variable,
/// the value and why.
public struct NotifyEnvironmentError: Error, Equatable, CustomStringConvertible, Sendable {
    public let variable: String
    public let value: String
    public let problem: String

    init(_ variable: String, _ value: String, _ problem: String) {
        self.variable = variable
        self.value = value
        self.problem = problem
    }

    public var description: String { "$\(variable)=\"\(value)\" \(problem)" }
}
