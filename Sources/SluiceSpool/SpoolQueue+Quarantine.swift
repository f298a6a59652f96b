import SluicePOSIX

extension SpoolQueue {
    /// Moves the file at `path` into `quarantine/` with a `.reason` file
    /// beside it. Never throws: a file that cannot even be moved is left
    /// where it is (and found again by the next scan), but never stops the caller.
    func quarantine(_ path: SpoolPath, reason: String) {
        let target = quarantineName(for: "\(path.folder.rawValue)-\(path.name)")
        writeReason(target, "\(Timestamp.format(clock.now())) moved from \(path): \(reason)")
        _ = try? folders[path.folder].rename(path.name, to: folders.quarantine, as: target)
    }

    /// Writes `content` into `quarantine/` as `name`, with a `.reason` file.
    func quarantineContent(_ name: String, content: [UInt8], reason: String) {
        let target = quarantineName(for: name)
        writeReason(target, "\(Timestamp.format(clock.now())) \(reason)")
        let scratch = tmpName() + ".quarantine"
        do {
            try folders.tmp.createFile(scratch, bytes: content, sync: false)
            _ = try folders.tmp.rename(scratch, to: folders.quarantine, as: target)
        } catch {
            _ = try? folders.tmp.unlink(scratch)
        }
    }

    /// The reason file first, then the file: a crash between leaves a reason
    /// without a file (harmless), never a quarantined file without its reason.
    private func writeReason(_ target: String, _ text: String) {
        let scratch = tmpName() + ".reason"
        do {
            try folders.tmp.createFile(scratch, bytes: Array((text + "\n").utf8), sync: false)
            _ = try folders.tmp.rename(scratch, to: folders.quarantine, as: target + ".reason", replacing: true)
        } catch {
            _ = try? folders.tmp.unlink(scratch)
        }
    }

    /// `name`, or `name` with a time suffix if that is taken; at most 240 bytes.
    private func quarantineName(for name: String) -> String {
        let base = String(decoding: name.utf8.prefix(200), as: UTF8.self)
        // A look-up that fails: a name of its own rather than one that may be taken.
        return (try? folders.quarantine.exists(base)) == false ? base : "\(base)-\(clock.now())"
    }

    /// Names of quarantined files (without their `.reason` files).
    public func quarantined() throws(SpoolError) -> [String] {
        try spoolIO("list quarantine of queue \"\(name)\"") {
            try folders.quarantine.names().filter { !$0.hasSuffix(".reason") }.sorted()
        }
    }
}
