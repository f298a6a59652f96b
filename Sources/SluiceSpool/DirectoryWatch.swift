import Glibc
import SluicePOSIX

/// inotify(7) on a queue's `ready/` and `journal/`: reports the names of
/// files that arrive, so a claimer's index stays current without rescanning.
///
/// Every arrival in these folders is a rename or a create, so watching
/// IN_MOVED_TO and IN_CREATE sees them all, unless the kernel's event queue
/// overflows; then `drain` says so and the caller rescans.
final class DirectoryWatch {
    let fd: Int32
    private var folders: [Int32: SpoolFolder] = [:]

    init(_ watched: [(SpoolFolder, Directory)]) throws(SystemError) {
        fd = try syscall("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        do {
            for (folder, directory) in watched {
                let descriptor = try syscall("inotify_add_watch(\(directory.path))") {
                    inotify_add_watch(fd, directory.path, UInt32(IN_MOVED_TO | IN_CREATE | IN_ONLYDIR))
                }
                folders[descriptor] = folder
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Reads every pending event, calling `arrived` for each name that
    /// arrived. Returns false if events were lost (queue overflow, or a
    /// watched folder vanished): the caller must rescan.
    func drain(_ arrived: (SpoolFolder, UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        var complete = true
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress, raw.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return complete }  // EAGAIN: nothing more for now
            buffer.withUnsafeBytes { raw in
                var offset = 0
                // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[]; }
                while offset + 16 <= count {
                    let descriptor = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + 16)..<(offset + 16 + length)].bindMemory(to: UInt8.self)
                    let name = UnsafeBufferPointer(rebasing: nameBytes[..<(nameBytes.firstIndex(of: 0) ?? nameBytes.count)])
                    if mask & UInt32(IN_Q_OVERFLOW | IN_IGNORED) != 0 {
                        complete = false
                    } else if let folder = folders[descriptor], !name.isEmpty {
                        arrived(folder, name)
                    }
                    offset += 16 + length
                }
            }
        }
    }

    /// Blocks until an event is pending or `milliseconds` pass; true if one is pending.
    func wait(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }
}
