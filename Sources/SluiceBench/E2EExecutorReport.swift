import Foundation

/// The HTTP executor alone: what one worker process's `HTTPExecutor`
/// (libcurl) sustains against the sandbox's unlimited echo route, and
/// the latency it adds over a bare socket.
///
/// Added latency: the median (p99) time of one sequential request through
/// the executor minus that of the same request over one bare keep-alive
/// socket (`E2EBareHTTPClient`) to the same server, measured in alternating
/// blocks in the same process. The server's own handling time is in both,
/// so it cancels out; what remains is libcurl and our wrapper.
public struct E2EExecutorReport: Codable, Sendable {
    public var concurrency: Int
    public var seconds: Double
    public var requests: Int
    public var failures: Int
    public var requestsPerSecond: Double
    /// CPU time the executor's process spent per request while saturated (µs).
    public var cpuMicrosecondsPerRequest: Double
    /// Latency under that load, per request (µs).
    public var loadedP50Microseconds: Double
    public var loadedP99Microseconds: Double
    /// Sequential round trips (µs): bare socket, through the executor, and the difference.
    public var bareP50Microseconds: Double
    public var bareP99Microseconds: Double
    public var executorP50Microseconds: Double
    public var executorP99Microseconds: Double
    public var addedP50Microseconds: Double
    public var addedP99Microseconds: Double
    /// The executor process's peak RSS (VmHWM) at the end.
    public var peakResidentKB: Int
    /// VmRSS gained while saturated, per request: a steady figure above zero
    /// is memory never given back (README: "URLSession leaked per request", gone with libcurl).
    public var residentGrowthBytesPerRequest: Double
    /// Filled by the parent: the sandbox's CPU during the whole phase, and its count of echo answers.
    public var sandboxCPUSeconds: Double = 0
    public var sandboxEchoes: Int = 0

    enum CodingKeys: String, CodingKey {
        case concurrency, seconds, requests, failures
        case requestsPerSecond = "requests_per_s", cpuMicrosecondsPerRequest = "cpu_us_per_request"
        case loadedP50Microseconds = "loaded_p50_us", loadedP99Microseconds = "loaded_p99_us"
        case bareP50Microseconds = "bare_p50_us", bareP99Microseconds = "bare_p99_us"
        case executorP50Microseconds = "executor_p50_us", executorP99Microseconds = "executor_p99_us"
        case addedP50Microseconds = "added_p50_us", addedP99Microseconds = "added_p99_us"
        case peakResidentKB = "peak_rss_kb", residentGrowthBytesPerRequest = "rss_growth_bytes_per_request", sandboxCPUSeconds = "sandbox_cpu_s", sandboxEchoes = "sandbox_echoes"
    }
}
