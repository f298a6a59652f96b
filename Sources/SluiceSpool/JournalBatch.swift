import Glibc
import SluicePOSIX

/// Commits a batch of tasks as one durable file in `journal/`: the
/// acknowledgement path of enqueue.
///
/// Why a batch file: one `fdatasync` and one directory `fsync` make a whole
/// batch durable, where a file per task would cost a sync each (a few
/// thousand per second on a disk, against the tens of thousands asked).
/// The batch is expanded into per-task files afterwards (`JournalExpander`).
enum JournalBatch {
    /// Writes `lines` (one task's JSON each) and makes them durable.
    ///
    /// After this returns, the batch survives any crash or power loss: its
    /// content was fdatasync'd before it was renamed into `journal/`, and
    /// `journal/` was fsync'd after. On a throw nothing was committed and
    /// nothing is left behind. The returned lock keeps expanders away until
    /// the caller has linked the ids' markers.
    static func commit(_ lines: [[UInt8]], base: String, tmpName: String, folders: QueueFolders) throws(SystemError) -> JournalLock {
        let bytes = joined(lines)
        let originTmp = tmpName + ".origin"
        let batchTmp = tmpName + ".ndjson"
        do throws(SystemError) {
            // The origin file is the inode every id marker of this batch links
            // to. Empty: it owns no block, so dropping its last link is cheap.
            try folders.tmp.createFile(originTmp, bytes: [], sync: false)
            try folders.tmp.createFile(batchTmp, bytes: bytes, sync: true)
            let lock = try JournalLock.lockNew(in: folders.tmp, name: batchTmp, base: base)
            try place(originTmp, as: base + ".origin", folders: folders)
            do throws(SystemError) {
                try place(batchTmp, as: base + ".ndjson", folders: folders)
                try folders.journal.sync()
            } catch {
                // Not acknowledged: take the batch back out. We hold its lock,
                // so no expander can have started on it.
                _ = try? folders.journal.unlink(base + ".ndjson")
                _ = try? folders.journal.unlink(base + ".origin")
                throw error
            }
            return lock
        } catch {
            _ = try? folders.tmp.unlink(originTmp)
            _ = try? folders.tmp.unlink(batchTmp)
            throw error
        }
    }

    /// Replaces the committed batch held by `lock` with one holding only
    /// `kept` (its other lines were refused after the commit), durably:
    /// when this returns, a crash or power loss can no longer bring the
    /// refused lines back. Returns the lock on the batch as it now is, or
    /// nil when nothing is kept and the batch (and its origin) are gone.
    ///
    /// Requires: the caller holds `lock`, and no marker links the origin
    /// for a line not in `kept`.
    static func withdraw(keeping kept: [[UInt8]], from lock: JournalLock, tmpName: String, folders: QueueFolders) throws(SystemError) -> JournalLock? {
        let batchName = lock.base + ".ndjson"
        guard !kept.isEmpty else {
            _ = try folders.journal.unlink(batchName)
            _ = try folders.journal.unlink(lock.base + ".origin")
            try folders.journal.sync()
            return nil
        }
        let batchTmp = tmpName + ".ndjson"
        try folders.tmp.createFile(batchTmp, bytes: joined(kept), sync: true)
        do throws(SystemError) {
            // Locked before it is renamed in, as at commit: an expander that
            // opens the new batch waits for us; one that opened the old file
            // finds, once it gets that lock, that the name is no longer it.
            let replacement = try JournalLock.lockNew(in: folders.tmp, name: batchTmp, base: lock.base)
            try folders.tmp.rename(batchTmp, to: folders.journal, as: batchName, replacing: true)
            try folders.journal.sync()
            return replacement
        } catch {
            _ = try? folders.tmp.unlink(batchTmp)
            throw error
        }
    }

    /// Takes a committed batch back out, with the markers that link its
    /// origin (`markers`), as far as the disk allows; for a commit that
    /// cannot be completed. Requires: the caller holds `lock`.
    static func abandon(_ lock: JournalLock, markers: [String], folders: QueueFolders) {
        let origin = try? folders.journal.identity(of: lock.base + ".origin")
        for key in markers where origin != nil && (try? folders.ids.identity(of: key)) == origin {
            _ = try? folders.ids.unlink(key)
        }
        _ = try? folders.journal.unlink(lock.base + ".ndjson")
        _ = try? folders.journal.unlink(lock.base + ".origin")
        _ = try? folders.journal.sync()
    }

    private static func joined(_ lines: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
        for line in lines {
            bytes.append(contentsOf: line)
            bytes.append(0x0A)
        }
        return bytes
    }

    private static func place(_ tmpName: String, as name: String, folders: QueueFolders) throws(SystemError) {
        let outcome = try folders.tmp.rename(tmpName, to: folders.journal, as: name)
        guard outcome == .done else {
            throw SystemError(call: "rename(\(folders.tmp.file(tmpName)) → \(folders.journal.file(name)))", errno: outcome == .targetExists ? EEXIST : ENOENT)
        }
    }
}
