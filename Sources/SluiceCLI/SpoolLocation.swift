import Glibc
import SluiceSpool
import SluiceConfig
import SluiceCore

/// Which spool a command works on, and which queue names it accepts, from
/// `--spool DIR` or `--config FILE` (or the default root).
///
/// With `--spool` (or neither) any valid queue name is accepted; with
/// `--config` the root and the queue set come from the configuration and a
/// queue it does not define is refused.
struct SpoolLocation {
    let root: SpoolRoot
    /// The configured queues; nil when any valid name goes.
    let configuredQueues: [QueueName]?
    let configPath: String?
    /// The configuration, when `--config` named one.
    let config: FleetConfig?

    static let usage = "[--spool DIR | --config FILE]"
    static let help = """
          --spool DIR     the spool root (default: $STATE_DIRECTORY/spool, /var/lib/sluice/spool for root,
                          else ~/.local/state/sluice/spool); any valid queue name is accepted
          --config FILE   take the spool root and the set of queues from Sluice's configuration
        """

    /// Takes `--spool` / `--config` from `arguments`.
    init(_ arguments: inout Arguments) throws(UsageError) {
        let spool = try arguments.option("--spool")
        let config = try arguments.option("--config")
        switch (spool, config) {
        case (.some, .some):
            throw UsageError("give --spool or --config, not both (the configuration names its own spool)")
        case (let directory?, nil):
            guard !directory.isEmpty else { throw UsageError("--spool needs a directory") }
            root = SpoolRoot(path: directory)
            configuredQueues = nil
            configPath = nil
            self.config = nil
        case (nil, let path?):
            // The fleet's own configuration, checked exactly as `sluice run`
            // checks it (credentials aside: these commands send nothing).
            let config: FleetConfig
            do { config = try FleetConfig.load(path: path) } catch { throw UsageError("\(error)") }
            root = SpoolRoot(path: config.spoolRoot ?? SpoolRoot.defaultPath())
            configuredQueues = config.queues.map(\.name).sorted()
            configPath = path
            self.config = config
        case (nil, nil):
            root = SpoolRoot(path: SpoolRoot.defaultPath())
            configuredQueues = nil
            configPath = nil
            self.config = nil
        }
    }

    /// Validates `text` as a queue this location accepts.
    func queueName(_ text: String) throws(UsageError) -> QueueName {
        let name: QueueName
        do { name = try QueueName(validating: text) } catch { throw UsageError("\(error)") }
        if let configuredQueues, let configPath, !configuredQueues.contains(name) {
            let known = configuredQueues.map(\.rawValue).joined(separator: ", ")
            throw UsageError("queue: \"\(text)\" is not defined in \(configPath) (its queues: \(known)); add it there or check the name")
        }
        return name
    }

    /// The queues to show in listings: the configured ones, or every queue directory.
    func queueNames() throws -> [QueueName] {
        try configuredQueues ?? root.queueNames()
    }

    /// Opens a queue for reading; nil if it has no directory yet (no task
    /// was ever enqueued to it), which reads as a queue with no tasks.
    func openExisting(_ name: QueueName) throws -> SpoolQueue? {
        guard access("\(root.path)/\(name)", F_OK) == 0 else { return nil }
        return try root.open(name, create: false)
    }

    /// Opens a queue for writing, creating its directory if needed.
    func openForWriting(_ name: QueueName) throws -> SpoolQueue {
        try root.open(name, create: true)
    }
}
