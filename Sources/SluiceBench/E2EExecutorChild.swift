import Dispatch
import Foundation
import Glibc
import SluiceConfig
import SluiceJSON
import SluicePOSIX
import SluiceProviders
import SluiceWorker
import Synchronization

/// The process `bench e2e` measures the HTTP executor in: an `http` queue's
/// request to `/__sandbox/echo`, built by the real provider, sent by the
/// real `HTTPExecutor` set up as `sluice worker` sets it up, with no spool
/// and no limiter in the way (those are the fleet drain's business).
public enum E2EExecutorChild {
    /// `run` from synchronous code (a command's body): blocks until it is done.
    public static func runBlocking(port: UInt16, seconds: Double, latencySeconds: Double, concurrency: Int) throws -> String {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let line = try await run(port: port, seconds: seconds, latencySeconds: latencySeconds, concurrency: concurrency)
                outcome.result.withLock { $0 = .success(line) }
            } catch {
                outcome.result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        guard let result = outcome.result.withLock({ $0 }) else { throw BenchError("bench e2e: the executor measurement ended without a result") }
        return try result.get()
    }

    private final class Outcome: Sendable {
        let result = Mutex<Result<String, any Error>?>(nil)
    }

    /// Measures, then returns the report as one JSON line.
    /// `latencySeconds` goes to sequential latency, `seconds` to throughput
    /// with `concurrency` requests in flight.
    public static func run(port: UInt16, seconds: Double, latencySeconds: Double, concurrency: Int) async throws -> String {
        let json = #"{"fleet": "e2e-executor", "queues": {"echo": {"provider": "http", "baseURL": "http://127.0.0.1:\#(port)", "rate": "unlimited", "maxConcurrentPerWorker": \#(concurrency)}}}"#
        let queue = try FleetConfig.parse(Array(json.utf8)).queues[0]
        guard case .object(let payload) = try JSONParser.parse(Array(#"{"method": "POST", "path": "/__sandbox/echo", "body": {"amount": 1234, "currency": "usd", "description": "bench e2e"}}"#.utf8)) else {
            throw BenchError("bench e2e: the echo task's payload is not an object")
        }
        let request = try Providers.make(for: queue).request(for: ProviderTask(id: "echo", kind: "http", payload: payload), credential: nil)
        let executor = try HTTPExecutor(maximumConnections: queue.maxConcurrentPerWorker, requestTimeout: queue.requestTimeout,
                                    maximumResponseBytes: queue.maxResponseBytes)
        defer { executor.close() }
        let bare = try E2EBareHTTPClient(port: port)

        // Warm up both: connections open, lazy initialisation done.
        _ = try sequentialBare(bare, body: request.body, seconds: 0.3)
        _ = await sequentialExecutor(executor, request, seconds: 0.3)
        // Alternating blocks, so drift in the machine's load affects both alike.
        var bareLatencies = LatencyHistogram()
        var executorLatencies = LatencyHistogram()
        for _ in 0..<4 {
            bareLatencies.merge(try sequentialBare(bare, body: request.body, seconds: latencySeconds / 8))
            executorLatencies.merge(await sequentialExecutor(executor, request, seconds: latencySeconds / 8))
        }
        let residentBefore = SpoolBenchMemory.current().residentKB
        let load = await saturate(executor, request, seconds: seconds, concurrency: concurrency)
        let residentGrowth = max(0, SpoolBenchMemory.current().residentKB - residentBefore)

        // Latencies are recorded in µs: below 4,096 µs they land in fixed buckets,
        // so recording allocates nothing and the process's RSS is the executor's own.
        let micro = { (value: UInt64) in Double(value) }
        let report = E2EExecutorReport(
            concurrency: concurrency, seconds: load.elapsed, requests: load.requests, failures: load.failures,
            requestsPerSecond: Double(load.requests) / load.elapsed, cpuMicrosecondsPerRequest: load.cpuSeconds * 1e6 / Double(max(load.requests, 1)),
            loadedP50Microseconds: micro(load.latencies.value(at: 0.5)), loadedP99Microseconds: micro(load.latencies.value(at: 0.99)),
            bareP50Microseconds: micro(bareLatencies.value(at: 0.5)), bareP99Microseconds: micro(bareLatencies.value(at: 0.99)),
            executorP50Microseconds: micro(executorLatencies.value(at: 0.5)), executorP99Microseconds: micro(executorLatencies.value(at: 0.99)),
            addedP50Microseconds: micro(executorLatencies.value(at: 0.5)) - micro(bareLatencies.value(at: 0.5)),
            addedP99Microseconds: micro(executorLatencies.value(at: 0.99)) - micro(bareLatencies.value(at: 0.99)),
            peakResidentKB: SpoolBenchMemory.current().peakResidentKB,
            residentGrowthBytesPerRequest: Double(residentGrowth * 1024) / Double(max(load.requests, 1))
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    private static func sequentialBare(_ client: E2EBareHTTPClient, body: [UInt8], seconds: Double) throws -> LatencyHistogram {
        var latencies = LatencyHistogram()
        let end = MonotonicClock.now() + UInt64(seconds * 1e9)
        while MonotonicClock.now() < end {
            let start = MonotonicClock.now()
            let answer = try client.exchange("POST", "/__sandbox/echo", body: body)
            latencies.record((MonotonicClock.now() - start) / 1000)
            guard answer.status == 200 else { throw BenchError("bench e2e: the echo route answered \(answer.status) to the bare client") }
        }
        return latencies
    }

    private static func sequentialExecutor(_ executor: HTTPExecutor, _ request: OutgoingRequest, seconds: Double) async -> LatencyHistogram {
        var latencies = LatencyHistogram()
        let end = MonotonicClock.now() + UInt64(seconds * 1e9)
        while MonotonicClock.now() < end {
            let start = MonotonicClock.now()
            _ = await executor.send(request)
            latencies.record((MonotonicClock.now() - start) / 1000)
        }
        return latencies
    }

    private struct Load {
        var requests = 0
        var failures = 0
        var latencies = LatencyHistogram()
        var elapsed = 0.0
        var cpuSeconds = 0.0
    }

    /// `concurrency` loops, each sending as soon as its last answer came.
    private static func saturate(_ executor: HTTPExecutor, _ request: OutgoingRequest, seconds: Double, concurrency: Int) async -> Load {
        let cpuBefore = selfCPUSeconds()
        let start = MonotonicClock.now()
        let end = start + UInt64(seconds * 1e9)
        var total = await withTaskGroup(of: Load.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var load = Load()
                    while MonotonicClock.now() < end {
                        let sent = MonotonicClock.now()
                        let result = await executor.send(request)
                        load.latencies.record((MonotonicClock.now() - sent) / 1000)
                        if case .answered(let response) = result, response.status == 200 { load.requests += 1 } else { load.failures += 1 }
                    }
                    return load
                }
            }
            var total = Load()
            for await load in group {
                total.requests += load.requests
                total.failures += load.failures
                total.latencies.merge(load.latencies)
            }
            return total
        }
        total.elapsed = Double(MonotonicClock.now() - start) / 1e9
        total.cpuSeconds = selfCPUSeconds() - cpuBefore
        return total
    }

    private static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
