import Glibc
import SluicePOSIX

/// Turns acknowledged batch files into one `ready/` file per task, in two
/// phases, so that at every instant each task exists once and durably:
///
/// 1. Prepare (batch is `<base>.ndjson`): for each line, link the id's marker
///    (`ids/<key>` → the batch's origin inode; an existing marker of another
///    inode means the id is already taken: the line is dropped as a
///    duplicate) and write `tmp/x-<base>-<line>`. Then `syncfs`, and rename
///    the batch to `<base>.prepared` (and fsync `journal/`).
/// 2. Publish (batch is `<base>.prepared`): rename each `tmp/x-<base>-<line>`
///    into `ready/`; a missing one was published before a crash. Fsync
///    `ready/`, then delete the batch and its origin.
///
/// Redoing either phase after a crash is harmless: phase 1 rewrites files no
/// claimer can see yet; phase 2 only moves files that are still in `tmp/`.
/// A task can be claimed only after its batch is `.prepared`, and from then
/// on the batch is never read for content again, so a task completed (and
/// its marker removed) before a crash is never resurrected.
struct JournalExpander {
    let folders: QueueFolders
    /// Quarantines a batch line that does not parse.
    let quarantine: (_ name: String, _ content: [UInt8], _ reason: String) -> Void

    struct Count: Equatable, Sendable {
        public var batches = 0
        public var tasks = 0
        public var duplicates = 0
        /// Batches another process held past the wait (left to it, for now).
        public var busy = 0
    }

    /// Expands every pending batch, oldest first. A batch another process
    /// holds for longer than `waiting` ns is left to it. A batch that fails
    /// does not stop the others: each is tried, and the first failure is
    /// thrown at the end (the failed batch stays, durable, for a later try).
    func expandAll(waiting: UInt64 = 0) throws(SystemError) -> Count {
        var count = Count()
        var failure: SystemError?
        for base in try pendingBatches() {
            guard let lock = JournalLock.tryLock(in: folders.journal, base: base, waiting: waiting) else {
                count.busy += 1
                continue
            }
            do {
                let one = try expand(lock)
                count.batches += 1
                count.tasks += one.tasks
                count.duplicates += one.duplicates
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return count
    }

    /// Base names of batches in `journal/`, sorted (names start with their commit time).
    func pendingBatches() throws(SystemError) -> [String] {
        var bases = Set<String>()
        for name in try folders.journal.names() {
            for suffix in [".ndjson", ".prepared"] where name.hasSuffix(suffix) {
                bases.insert(String(name.dropLast(suffix.count)))
            }
        }
        return bases.sorted()
    }

    /// Whether batch `base` is still in `journal/` (committed, not yet
    /// fully published), as of this call.
    ///
    /// The names are looked up in the order a batch takes them: `.ndjson`,
    /// then `.prepared`. The rename between them is atomic, so a batch that
    /// is there throughout the call is always found.
    /// Throws when a look-up cannot answer: never "finished" for a batch
    /// whose state is unknown.
    func isPending(_ base: String) throws(SystemError) -> Bool {
        if try folders.journal.exists(base + ".ndjson") { return true }
        return try folders.journal.exists(base + ".prepared")
    }

    /// Expands the batch held by `lock`. Requires: the caller holds the lock.
    func expand(_ lock: JournalLock) throws(SystemError) -> Count {
        let lines = try lock.content().split(separator: 0x0A, omittingEmptySubsequences: true)
        var count = Count()
        if !lock.prepared {
            count = try prepare(lines, base: lock.base)
            lock.markPrepared()
        }
        count.tasks = try publish(lines, base: lock.base)
        count.batches = 1
        _ = try folders.journal.unlink(lock.base + ".prepared")
        _ = try folders.journal.unlink(lock.base + ".origin")
        return count
    }

    private func prepare(_ lines: [ArraySlice<UInt8>], base: String) throws(SystemError) -> Count {
        let originName = base + ".origin"
        if try !folders.journal.exists(originName) {
            try folders.journal.createFile(originName, bytes: [], sync: false)
        }
        guard let origin = try folders.journal.identity(of: originName) else {
            throw SystemError(call: "stat(\(folders.journal.file(originName)))", errno: ENOENT)
        }
        var count = Count()
        var spares = SpareFiles(folders: folders)
        for (line, bytes) in lines.enumerated() {
            guard let record = parse(bytes, base: base, line: line, quarantining: true) else { continue }
            let key = record.id.fileKey
            let marker = try folders.journal.link(originName, to: folders.ids, as: key)
            if marker == .targetExists, try folders.ids.identity(of: key) != origin {
                count.duplicates += 1  // the id belongs to another task already
                continue
            }
            let tmpName = Self.tmpName(base: base, line: line)
            switch try folders.tmp.isPlainFile(tmpName) {
            case true?:
                try folders.tmp.overwriteFile(tmpName, bytes: Array(bytes))  // left by an interrupted expansion
            case false?:
                // Not ours to write into (a directory planted there): aside, then a file of our own.
                _ = try folders.tmp.rename(tmpName, to: folders.quarantine, as: "tmp-\(tmpName)-\(UInt64.random(in: 0...UInt64.max))")
                try spares.place(Array(bytes), as: tmpName)
            case nil:
                try spares.place(Array(bytes), as: tmpName)
            }
        }
        // Every per-task file (and marker) must be durable before the batch
        // says "prepared": after that, phase 2 treats a missing file as published.
        try folders.tmp.syncFileSystem()
        let renamed = try folders.journal.rename(base + ".ndjson", to: folders.journal, as: base + ".prepared", replacing: true)
        guard renamed == .done else { throw SystemError(call: "rename(\(folders.journal.file(base + ".ndjson")))", errno: ENOENT) }
        try folders.journal.sync()
        return count
    }

    private func publish(_ lines: [ArraySlice<UInt8>], base: String) throws(SystemError) -> Int {
        var published = 0
        for (line, bytes) in lines.enumerated() {
            let tmpName = Self.tmpName(base: base, line: line)
            guard try folders.tmp.exists(tmpName), let record = parse(bytes, base: base, line: line, quarantining: false) else { continue }
            let readyName = SpoolNames.ready(dueAt: record.dueAt, key: record.id.fileKey)
            switch try folders.tmp.rename(tmpName, to: folders.ready, as: readyName) {
            case .done: published += 1
            case .sourceMissing: break  // published before a crash
            case .targetExists: _ = try folders.tmp.unlink(tmpName)  // the same task, published before a crash
            }
        }
        try folders.ready.sync()
        return published
    }

    private func parse(_ bytes: ArraySlice<UInt8>, base: String, line: Int, quarantining: Bool) -> TaskRecord? {
        do {
            return try TaskRecord(parsing: bytes)
        } catch {
            if quarantining { quarantine("journal-\(base)-\(line)", Array(bytes), "line \(line + 1) of batch \(base): \(error)") }
            return nil
        }
    }

    static func tmpName(base: String, line: Int) -> String { "x-\(base)-\(line)" }

    /// The batch a `tmp/x-<base>-<line>` file belongs to; nil for other names.
    static func batch(ofTmpName name: String) -> String? {
        guard name.hasPrefix("x-"), let dash = name.lastIndex(of: "-") else { return nil }
        let base = name[name.index(name.startIndex, offsetBy: 2)..<dash]
        return base.isEmpty ? nil : String(base)
    }
}
