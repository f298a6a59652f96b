import Glibc
import SluicePOSIX

/// systemd's side of sd_notify: a real `AF_UNIX` datagram socket, bound at a
/// path (or an abstract name), that records every message it receives with
/// the instant it arrived. Closed (and its file removed) on deinit.
final class NotifyListener: @unchecked Sendable {
    struct Message {
        /// The datagram's lines, e.g. `["READY=1", "STATUS=…"]`.
        let lines: [String]
        /// When it arrived (monotonic ns).
        let at: UInt64

        func has(_ line: String) -> Bool { lines.contains(line) }
        var status: String? { lines.first { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) } }
    }

    /// What a process must find in `$NOTIFY_SOCKET` to reach this listener.
    let environmentValue: String
    private let descriptor: Int32
    private let path: String?
    private(set) var messages: [Message] = []

    /// Binds a file-system socket at `path`.
    convenience init(path: String) throws {
        try self.init(sunPath: Array(path.utf8) + [0], environmentValue: path, path: path)
    }

    /// Binds an abstract socket (no file); `$NOTIFY_SOCKET` is `@name`.
    convenience init(abstractName: String) throws {
        try self.init(sunPath: [0] + Array(abstractName.utf8), environmentValue: "@" + abstractName, path: nil)
    }

    private init(sunPath: [UInt8], environmentValue: String, path: String?) throws {
        self.environmentValue = environmentValue
        self.path = path
        descriptor = try syscall("socket") { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in sunPath.enumerated() { bytes[index] = byte }
        }
        // An abstract name is exactly its bytes; a path includes its NUL.
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + sunPath.count)
        let fd = descriptor
        try syscall("bind") {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        }
    }

    deinit {
        close(descriptor)
        if let path { unlink(path) }
    }

    /// Receives for up to `seconds`, until `done(messages)` holds. True if it did.
    @discardableResult
    func receive(seconds: Double, until done: ([Message]) -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        while !done(messages) {
            let now = MonotonicClock.now()
            guard now < deadline else { return false }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(100, (deadline - now) / 1_000_000 + 1))) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            messages.append(Message(lines: text.split(separator: "\n").map(String.init), at: MonotonicClock.now()))
        }
        return true
    }

    /// Index of the first message holding `line`, if any.
    func firstIndex(of line: String) -> Int? { messages.firstIndex { $0.has(line) } }
}
