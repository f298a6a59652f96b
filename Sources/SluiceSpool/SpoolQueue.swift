import Glibc
import SluicePOSIX
import Synchronization
import SluiceCore

/// One queue's spool: a directory of folders (see `SpoolFolder`) where every
/// accepted task is a durable file and every state change is a `rename(2)`.
///
/// Many processes may open the same queue at once; the file system is the
/// only shared state. Within a process the value is safe to share between
/// threads. The clock and the pid are passed in so tests control them.
public final class SpoolQueue: Sendable {
    public let name: QueueName
    /// The queue's directory: `<spool root>/<queue name>`.
    public let path: String
    /// The process that leases claimed tasks (normally this process).
    public let pid: Int32
    let folders: QueueFolders
    let clock: any WallClock
    let instants: any InstantSource
    public let options: SpoolOptions
    let claimer = Mutex(ClaimState())
    /// The wall clock as retention may trust it (see `RetentionClock`).
    let retentionClock = Mutex(RetentionClock())
    private let serial = Atomic<UInt64>(0)
    /// This value has written or claimed something in the spool: files with
    /// our pid may now be live ones (see `recover(includingOwnLeases:)`).
    let started = Atomic<Bool>(false)

    /// Opens the queue `name` under the spool root `root`.
    ///
    /// With `create`, missing directories are made (owner-only, 0700). Every
    /// directory must be a real directory (no symlink), belong to the calling
    /// user and be owner-only (see `Directory`). Without `create`, a missing
    /// queue is an error. `instants` is the monotonic clock that paces
    /// rescans and guards retention against wall-clock steps.
    public init(
        root: String, name: QueueName, create: Bool = true,
        clock: any WallClock = SystemWallClock(), pid: Int32 = getpid(), options: SpoolOptions = SpoolOptions(),
        instants: any InstantSource = SystemInstantSource()
    ) throws(SpoolError) {
        self.name = name
        let path = root.hasSuffix("/") ? root + name.rawValue : "\(root)/\(name)"
        self.path = path
        self.pid = pid
        self.clock = clock
        self.instants = instants
        self.options = options
        if !create, access(path, F_OK) != 0 {
            throw SpoolError("queue \"\(name)\": no directory \(path); nothing was ever enqueued to it "
                             + "(check the queue name and the spool root, --spool)")
        }
        folders = try spoolIO("open queue \"\(name)\" at \(path)") {
            try QueueFolders(path: path, create: create, faults: options.faults)
        }
        if options.finishedRetention > 0 { startRetentionClock() }
    }

    /// Learns the offset in force now (a step after this is not trusted at
    /// once), starting from the one a previous process of this boot trusted,
    /// so a step taken between the two is not trusted at once either.
    private func startRetentionClock() {
        let file = RetentionClockFile(folder: folders.queue, tmp: folders.tmp)
        let saved = file.load()
        let latest = retentionClock.withLock { clock in
            if let saved { clock.seed(offset: saved, at: instants.now()) }
            _ = clock.now(wall: self.clock.now(), monotonic: instants.now(), window: options.finishedRetention)
            return clock.latestOffset
        }
        // A scratch name of our pid, without marking this value as started (see `recover`).
        if let latest, latest != saved { file.save(latest, scratch: "\(pid)-clock-\(UInt64.random(in: 0...UInt64.max))") }
    }

    /// A name for a file in `tmp/` unique across processes and calls:
    /// `<pid>-<serial>-<random>`. The pid prefix lets recovery remove the
    /// leftovers of writers that died; the random part keeps two queue
    /// values in one process apart.
    func tmpName() -> String {
        started.store(true, ordering: .relaxed)
        let count = serial.add(1, ordering: .relaxed).newValue
        return "\(pid)-\(count)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    /// A batch's base name, `<time>-<pid>-<random>`: commit time first, so
    /// names sort oldest first; the pid lets recovery tell whether the
    /// committer is gone.
    func batchBase(now: UInt64) -> String {
        "\(String(now).leftPadded(to: SpoolNames.dueDigits))-\(pid)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    var expander: JournalExpander {
        JournalExpander(folders: folders) { [self] name, content, reason in
            quarantineContent(name, content: content, reason: reason)
        }
    }

    /// Expands every acknowledged batch into per-task files in `ready/`
    /// (see `JournalExpander`). A batch another process is expanding is
    /// waited for (up to `options.expansionWait` each), so when this returns, every batch that
    /// was pending has been expanded, unless an expander hangs.
    @discardableResult
    public func expandPendingBatches() throws(SpoolError) -> Int {
        try spoolIO("expand pending batches of queue \"\(name)\"") { try expander.expandAll(waiting: options.expansionWait).tasks }
    }
}

extension SpoolQueue: TaskStore {}
