import Glibc
import SluicePOSIX
import SluiceCore

/// The spool root: the directory holding one directory per queue.
public struct SpoolRoot: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Where the spool lives when no `--spool` or configuration says:
    /// `$STATE_DIRECTORY/spool` under systemd (`StateDirectory=sluice`),
    /// else `/var/lib/sluice/spool` for root, else
    /// `$XDG_STATE_HOME/sluice/spool` or `~/.local/state/sluice/spool`.
    public static func defaultPath(environment: [String: String], isRoot: Bool) -> String {
        if let state = environment["STATE_DIRECTORY"], !state.isEmpty {
            // systemd may pass several directories separated by ':'; the first is ours.
            return String(state.split(separator: ":").first ?? Substring(state)) + "/spool"
        }
        if isRoot { return "/var/lib/sluice/spool" }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/sluice/spool" }
        return (environment["HOME"] ?? "/tmp") + "/.local/state/sluice/spool"
    }

    /// The default for this process, from its environment and effective uid.
    public static func defaultPath() -> String {
        var environment: [String: String] = [:]
        for name in ["STATE_DIRECTORY", "XDG_STATE_HOME", "HOME"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return defaultPath(environment: environment, isRoot: geteuid() == 0)
    }

    /// The queues that have a directory under the root, sorted. Entries that
    /// are not queue names are ignored; a missing root has no queues.
    public func queueNames() throws(SpoolError) -> [QueueName] {
        guard access(path, F_OK) == 0 else { return [] }
        let names = try spoolIO("list queues in \(path)") { try Directory.open(path, create: false).names() }
        return names.compactMap { try? QueueName(validating: $0) }
            .filter { access("\(path)/\($0)/ready", F_OK) == 0 }
            .sorted()
    }

    /// Opens queue `name` (see `SpoolQueue.init`).
    public func open(
        _ name: QueueName, create: Bool = true, clock: any WallClock = SystemWallClock(),
        pid: Int32 = getpid(), options: SpoolOptions = SpoolOptions()
    ) throws(SpoolError) -> SpoolQueue {
        try SpoolQueue(root: path, name: name, create: create, clock: clock, pid: pid, options: options)
    }
}
