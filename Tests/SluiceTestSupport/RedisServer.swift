import Glibc
import SluicePOSIX

/// A redis-server of the test's own: on a free TCP port of 127.0.0.1 or on a
/// Unix socket in a scratch directory, with no persistence, optionally a
/// password. Stopped (by pid) on `stop()` or deinit, so no test leaves one
/// running. `kill`, `restart`, `pause` and `resume` act out the failures a
/// client must survive.
///
/// Needs `redis-server` (Debian package `redis-server`; `make test-tools`
/// installs it) on PATH or in `SLUICE_REDIS_SERVER`.
public final class RedisServer: @unchecked Sendable {
    public enum Listener: Sendable { case tcp, unixSocket }

    public let listener: Listener
    /// The `requirepass` password, if any.
    public let password: String?
    /// The TCP port (0 for a Unix socket). Kept across `restart()`.
    public private(set) var port: UInt16 = 0
    public let scratch: ScratchDirectory
    private let extraArguments: [String]
    private var child: SpawnedChild?
    private var starts = 0
    private var cliRuns = 0

    /// Starts a server and waits until it accepts connections.
    /// `arguments` are added to its command line (`["--maxclients", "10"]`).
    public init(listener: Listener = .tcp, password: String? = nil, arguments: [String] = []) throws {
        self.listener = listener
        self.password = password
        extraArguments = arguments
        scratch = try ScratchDirectory(label: "redis")
        try start()
    }

    deinit { stop() }

    /// The Unix socket's path (for `.unixSocket`).
    public var socketPath: String { scratch.file("redis.sock") }

    /// `redis://127.0.0.1:<port>` or `unix://<path>`, without a password.
    public var url: String {
        listener == .tcp ? "redis://127.0.0.1:\(port)" : "unix://\(socketPath)"
    }

    /// The server's pid while it runs.
    public var pid: pid_t? { child?.pid }

    /// Sends SIGSTOP: the server holds its connections but answers nothing.
    public func pause() { child?.process.send(SIGSTOP) }

    /// Sends SIGCONT after `pause()`.
    public func resume() { child?.process.send(SIGCONT) }

    /// SIGKILLs the server (a crash: no goodbye on its connections) and reaps it.
    public func kill() {
        child?.kill()
        child = nil
    }

    /// Starts the server again on the same port or socket, empty.
    public func restart() throws {
        kill()
        try start()
    }

    /// Stops the server: SIGCONT (in case it is paused), SIGTERM, and SIGKILL
    /// if it has not exited within 2 s.
    public func stop() {
        guard let child else { return }
        child.process.send(SIGCONT)
        child.process.send(SIGTERM)
        // Waits for the exit without reaping, so the pid stays ours until kill() reaps it.
        _ = ChildProcessRunner.waitUntil(seconds: 2) { Self.hasExited(child.pid) }
        child.kill()
        self.child = nil
    }

    /// Runs `redis-cli` against the server (an oracle independent of the
    /// client under test) and returns what it printed, without the final newline.
    public func cli(_ arguments: [String]) -> String? {
        guard let executable = Self.findExecutable("redis-cli") else { return nil }
        cliRuns += 1
        let output = scratch.file("cli-\(cliRuns).out")
        var command = listener == .tcp ? ["-h", "127.0.0.1", "-p", String(port)] : ["-s", socketPath]
        if let password { command += ["--no-auth-warning", "-a", password] }
        guard let process = try? ChildProcess.spawn(executable: executable, arguments: command + arguments, standardOutput: output),
              (try? process.waitForExit()) == .exited(0), var text = readTextFile(output) else { return nil }
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    // MARK: - Starting

    private func start() throws {
        guard let executable = Self.findExecutable("redis-server") else { throw RedisServerError.notInstalled }
        for _ in 0..<5 {
            if listener == .tcp && port == 0 { port = try Self.freePort() }
            starts += 1
            let spawned = try SpawnedChild(executable, arguments(), in: scratch, label: "redis-\(starts)")
            let ready = ChildProcessRunner.waitUntil(seconds: 10) {
                Self.isReady(spawned.output) || (try? spawned.process.pollExit()) != nil
            }
            if ready && Self.isReady(spawned.output) {
                child = spawned
                return
            }
            spawned.kill()
            // Another process took the port between our probe and redis's bind: try another.
            guard listener == .tcp, spawned.output.contains("Address already in use") else {
                throw RedisServerError.didNotStart(spawned.output + spawned.errors)
            }
            port = try Self.freePort()
        }
        throw RedisServerError.didNotStart("no free port after 5 tries")
    }

    /// "Ready to accept connections" (TCP), "ready to accept connections at <path>" (a Unix socket).
    private static func isReady(_ log: String) -> Bool { log.contains("eady to accept connections") }

    private func arguments() -> [String] {
        var arguments = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", scratch.path,
                         "--daemonize", "no", "--logfile", "", "--enable-debug-command", "local"]
        switch listener {
        // redis-server refuses `--port 0` as "any port" (it means no TCP at all), so the test picks one.
        case .tcp: arguments += ["--port", String(port)]
        case .unixSocket: arguments += ["--port", "0", "--unixsocket", socketPath, "--unixsocketperm", "700"]
        }
        if let password { arguments += ["--requirepass", password] }
        return arguments + extraArguments
    }

    /// A port that was free a moment ago: bind 127.0.0.1:0, read the port, release it.
    public static func freePort() throws -> UInt16 {
        let fd = try syscall("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try syscall("bind") { bind(fd, raw, length) }
                try syscall("getsockname") { getsockname(fd, raw, &length) }
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// True once `pid` is a zombie (or gone): /proc/<pid>/stat's state is "Z".
    private static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = readTextFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return true }
        return stat[close...].dropFirst(2).first == "Z"
    }

    static func findExecutable(_ name: String) -> String? {
        if name == "redis-server", let override = getenv("SLUICE_REDIS_SERVER") { return String(cString: override) }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/sbin", "/usr/bin"] {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

public enum RedisServerError: Error, CustomStringConvertible {
    case notInstalled
    case didNotStart(String)

    public var description: String {
        switch self {
        case .notInstalled: "redis-server is not installed: run `make test-tools` (Debian package redis-server), or set SLUICE_REDIS_SERVER"
        case .didNotStart(let output): "redis-server did not start: \(output)"
        }
    }
}
