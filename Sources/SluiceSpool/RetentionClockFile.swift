import Glibc
import SluicePOSIX

/// Where a queue keeps the wall-clock offset its retention last trusted
/// (`<queue>/retention-clock`: the boot id and the offset in ns), so a
/// process started after a step of the wall clock still sees the step.
///
/// The offset is wall − monotonic, and the monotonic clock restarts at boot:
/// an offset from another boot says nothing and is ignored. Losing the file
/// (not synced) only makes the next process trust its own first reading.
struct RetentionClockFile {
    let folder: Directory
    /// Where the new file is written before it is renamed in (a dead
    /// writer's leftover there is removed by recovery).
    let tmp: Directory
    static let name = "retention-clock"

    /// The offset saved in this boot, if any.
    func load() -> Int64? {
        guard let boot = Self.bootID, case .bytes(let bytes)? = try? folder.read(Self.name, limit: 256) else { return nil }
        let words = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard words.count == 2, words[0] == boot else { return nil }
        return Int64(words[1])
    }

    /// Saves `offset` (a new file renamed over the old one; best effort).
    /// `scratch` is a name of this process's in `tmp/`.
    func save(_ offset: Int64, scratch: String) {
        guard let boot = Self.bootID else { return }
        do {
            try tmp.createFile(scratch, bytes: Array("\(boot) \(offset)\n".utf8), sync: false)
            _ = try tmp.rename(scratch, to: folder, as: Self.name, replacing: true)
        } catch {
            _ = try? tmp.unlink(scratch)
        }
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`).
    static let bootID: Substring? = {
        guard let bytes = try? FileContents.read("/proc/sys/kernel/random/boot_id", limit: 64) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first
    }()
}
