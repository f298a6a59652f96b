import SluicePOSIX

/// Finished task files kept in `spare/` and reused for new tasks.
///
/// Why: on a file system that discards freed blocks at once (ext4 mounted
/// `discard`, common on cloud disks) unlinking a file that owns a data
/// block costs about 0.2 ms, which capped claim+complete near 4,700 per
/// second however many processes ran; creating a file costs its block
/// allocation. A rename into `spare/` and a later in-place rewrite cost
/// neither, so in steady state the spool neither allocates nor frees blocks.
/// Spares never take more space than the largest backlog already did, and
/// `trim` returns what is beyond `SpoolOptions.maximumSpareFiles`.
///
/// A spare still holds its finished task's bytes until reused or trimmed;
/// like every spool file it is owner-only (0600 in a 0700 directory).
struct SpareFiles {
    private let folders: QueueFolders
    private var available: [String]?

    init(folders: QueueFolders) { self.folders = folders }

    /// Retires a finished task's file into `spare/` under a fresh name;
    /// false if it is gone (another process moved it).
    static func retire(_ path: SpoolPath, folders: QueueFolders, as spareName: String) throws(SystemError) -> Bool {
        switch try folders[path.folder].rename(path.name, to: folders.spare, as: spareName) {
        case .done: return true
        case .sourceMissing: return false
        case .targetExists: return try folders[path.folder].unlink(path.name)
        }
    }

    /// Makes `tmp/<name>` hold `bytes` (not synced): a spare reused if one is
    /// left, else a new file. Requires: `tmp/<name>` does not exist.
    mutating func place(_ bytes: [UInt8], as name: String) throws(SystemError) {
        if available == nil { available = try folders.spare.names() }
        while let spare = available?.popLast() {
            // Only a plain file is reused: anything else found there (a
            // directory, a FIFO) is moved aside, never written into.
            switch try folders.spare.isPlainFile(spare) {
            case nil: continue
            case false?:
                _ = try? folders.spare.rename(spare, to: folders.quarantine, as: "spare-\(spare)")
                continue
            case true?: break
            }
            guard try folders.spare.rename(spare, to: folders.tmp, as: name) == .done else { continue }
            return try folders.tmp.overwriteFile(name, bytes: bytes)
        }
        try folders.tmp.createFile(name, bytes: bytes, sync: false)
    }

    /// Unlinks spares beyond `keeping`, at most `limit` of them (each unlink
    /// frees blocks: slow on a discarding disk). Returns how many went.
    static func trim(folders: QueueFolders, keeping: Int, limit: Int) throws(SystemError) -> Int {
        let names = try folders.spare.names()
        guard names.count > keeping else { return 0 }
        var removed = 0
        for name in names.prefix(min(limit, names.count - keeping)) where try folders.spare.unlink(name) { removed += 1 }
        return removed
    }
}
