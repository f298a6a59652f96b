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
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }
}
