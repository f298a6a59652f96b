import Glibc

/// Who this host is in a fleet that shares one Redis: a name people read
/// (the configured `host`, else the pod's name under Kubernetes, else the
/// hostname) and the kernel's boot id, so a host that rebooted is a new
/// holder of whatever the old one held in Redis.
public struct HostIdentity: Equatable, Sendable, CustomStringConvertible {
    public let name: String
    /// `/proc/sys/kernel/random/boot_id` without its dashes (32 hex digits),
    /// or "noboot" where the file cannot be read.
    public let bootID: String

    public init(name: String, bootID: String) {
        self.name = name
        self.bootID = bootID
    }

    /// `name/bootID`: what Redis keys and `CLIENT SETNAME` carry.
    public var description: String { "\(name)/\(bootID)" }

    /// Resolves the identity. `configured` wins; under Kubernetes
    /// (`KUBERNETES_SERVICE_HOST` set) `POD_NAME`, else `HOSTNAME`; else
    /// `hostname`. The first that is a valid name is taken.
    public static func resolve(configured: String?, environment: [String: String],
                               readFile: (String) -> String?, hostname: () -> String? = systemHostname) -> HostIdentity {
        var candidates = [configured]
        if environment["KUBERNETES_SERVICE_HOST"] != nil { candidates += [environment["POD_NAME"], environment["HOSTNAME"]] }
        candidates.append(hostname())
        let name = candidates.compactMap { $0 }.first(where: isValidName) ?? "unnamed"
        let boot = (readFile("/proc/sys/kernel/random/boot_id") ?? "").filter { $0.isHexDigit }.lowercased()
        return HostIdentity(name: name, bootID: boot.count == 32 ? boot : "noboot")
    }

    /// 1–63 letters, digits, `-`, `_` or `.` (a DNS label's length; no
    /// space or `:` so it fits a Redis key part and a client name).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    /// gethostname(2).
    public static func systemHostname() -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}
