import Foundation
import Glibc

/// One reading of another process's peak memory and CPU time, from
/// /proc/<pid>/status and /proc/<pid>/stat (proc(5)).
///
/// Both only grow while the process lives, so the last reading taken before
/// it exits is the closest to its final figures.
struct E2EProcessSample: Equatable {
    /// "VmHWM": the peak resident set size, in kB.
    var peakResidentKB: Int
    /// utime + stime, in seconds.
    var cpuSeconds: Double

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Reads `pid`; nil if it is gone (or not readable).
    static func read(_ pid: pid_t) -> E2EProcessSample? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let peak = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let ticks = cpuTicks(stat) else { return nil }
        return E2EProcessSample(peakResidentKB: SpoolBenchMemory.kilobytes(String(peak)), cpuSeconds: Double(ticks) / ticksPerSecond)
    }

    /// utime (field 14) + stime (field 15) of a /proc/<pid>/stat line. The
    /// fields are counted after the last ")": the command name may hold spaces.
    static func cpuTicks(_ stat: String) -> UInt64? {
        let fields = fieldsAfterName(stat)
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    /// Whether `pid` is alive (not a zombie) and `parent`'s child: the check
    /// before signalling a pid read from a log, which may have been reused.
    static func isLiveChild(_ pid: pid_t, of parent: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return isLiveChild(stat: stat, of: parent)
    }

    /// The same, of a /proc/<pid>/stat line: its state (field 3) is not `Z`
    /// and its parent (field 4) is `parent`.
    static func isLiveChild(stat: String, of parent: pid_t) -> Bool {
        let fields = fieldsAfterName(stat)
        return fields.count > 1 && fields[0] != "Z" && pid_t(fields[1]) == parent
    }

    private static func fieldsAfterName(_ stat: String) -> [Substring] {
        guard let close = stat.lastIndex(of: ")") else { return [] }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
