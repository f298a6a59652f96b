import CSluiceShim
import Glibc

/// How a child process ended, as `waitpid` reports it.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// The shell convention: the exit code, or 128 + the signal number.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A process started with `posix_spawn`.
///
/// Sluice never `fork()`s: a forked multithreaded Swift process may hold
/// runtime locks owned by threads that do not exist in the child.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// Spawns `executable` with `arguments` (argv[0] is added), inheriting the
    /// environment unless `environment` is given. Standard output and error go
    /// to the files named, if any (created 0600, truncated); standard input is
    /// /dev/null.
    public static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String]? = nil,
        standardOutput: String? = nil,
        standardError: String? = nil
    ) throws(SystemError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let standardOutput {
            posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        if let standardError {
            posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        let argv = [executable] + arguments
        let envp = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        // A child starts with no signal blocked and default dispositions, whatever
        // the parent blocks or ignores (a supervisor blocks SIGTERM to read it
        // synchronously; its workers must still die of it).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = withCStrings(argv) { argvPointers in
            if let envp {
                return withCStrings(envp) { envPointers in
                    posix_spawn(&pid, executable, &actions, &attributes, argvPointers, envPointers)
                }
            }
            return posix_spawn(&pid, executable, &actions, &attributes, argvPointers, environ)
        }
        // posix_spawn returns the error number instead of setting errno.
        guard result == 0 else { throw SystemError(call: "posix_spawn(\(executable))", errno: result) }
        return ChildProcess(pid: pid)
    }

    /// Blocks until the child ends, and reaps it.
    public func waitForExit() throws(SystemError) -> ExitStatus {
        var status: Int32 = 0
        try syscall("waitpid(\(pid))") { waitpid(pid, &status, 0) }
        return Self.decode(status)
    }

    /// Reaps the child if it has ended; nil if it is still running.
    public func pollExit() throws(SystemError) -> ExitStatus? {
        var status: Int32 = 0
        let reaped = try syscall("waitpid(\(pid), WNOHANG)") { waitpid(pid, &status, WNOHANG) }
        return reaped == 0 ? nil : Self.decode(status)
    }

    /// Sends `signal` to the child. A child that already ended is not an error.
    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    static func decode(_ status: Int32) -> ExitStatus { ChildProcessStatus.decode(status) }
}

/// Decoding `waitpid` status words (the W* macros are not importable).
public enum ChildProcessStatus {
    public static func decode(_ status: Int32) -> ExitStatus {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// Facts about the running process.
public enum CurrentProcess {
    /// The absolute path of the running executable (`/proc/self/exe`).
    public static func executablePath() throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = try syscall("readlink(/proc/self/exe)") {
            readlink("/proc/self/exe", &buffer, buffer.count - 1)
        }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes the kernel send `signal` to this process when its parent exits,
    /// so a child never outlives a crashed parent. Exits at once if the parent
    /// is already gone (it died between spawning us and this call).
    public static func dieWithParent(signal: Int32 = SIGTERM, expectedParent: pid_t) throws(SystemError) {
        try syscall("prctl(PR_SET_PDEATHSIG)") { sluice_set_parent_death_signal(signal) }
        if getppid() != expectedParent { exit(128 + signal) }
    }
}
