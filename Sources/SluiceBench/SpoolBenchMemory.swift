import Glibc

/// A bench worker's memory, as the kernel reports it in /proc/self/status.
public struct SpoolBenchMemory: Sendable, Equatable {
    /// Peak resident set size ("VmHWM"), in kB.
    public let peakResidentKB: Int
    /// Current resident set size ("VmRSS"), in kB.
    public let residentKB: Int

    /// Reads /proc/self/status; zeros if it cannot be read (not Linux).
    public static func current() -> SpoolBenchMemory {
        guard let file = fopen("/proc/self/status", "r") else { return SpoolBenchMemory(peakResidentKB: 0, residentKB: 0) }
        defer { fclose(file) }
        var peak = 0
        var resident = 0
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmHWM:") { peak = kilobytes(text) }
            if text.hasPrefix("VmRSS:") { resident = kilobytes(text) }
        }
        return SpoolBenchMemory(peakResidentKB: peak, residentKB: resident)
    }

    /// "VmHWM:     84236 kB" → 84236.
    static func kilobytes(_ line: String) -> Int {
        Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "") ?? 0
    }
}
