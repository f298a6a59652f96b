// swift-tools-version: 6.0
// Sluice: a worker fleet for calling rate-limited HTTP APIs from many processes.
// No SwiftPM dependencies by design (DESIGN.md): the toolchain and Glibc only.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "sluice",
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    targets: [
        // Layer 0: thin, typed wrappers over Glibc (shm, mmap, clocks, spawn, signals).
        .target(name: "CSluiceShim"),
        .target(name: "SluicePOSIX", dependencies: ["CSluiceShim"], swiftSettings: strict),
        // Names and notations every part shares (queue names, durations).
        .target(name: "SluiceCore", swiftSettings: strict),
        // Strict JSON: exact numbers, ordered members, duplicate keys refused.
        .target(name: "SluiceJSON", swiftSettings: strict),
        // Layer 1: the shared-memory rate-limit coordinator (GCRA cells, slots, counters).
        .target(name: "SluiceLimiter", dependencies: ["SluicePOSIX", "SluiceCore"], swiftSettings: strict),
        // Layer 1: the durable on-disk task spool.
        .target(name: "SluiceSpool", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceJSON"], swiftSettings: strict),
        // The configuration file, decoded once into typed, validated structs.
        .target(name: "SluiceConfig", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceJSON", "SluiceLimiter", "SluiceRedis", "SluiceSpool"], swiftSettings: strict),
        // Pure providers: task → request, answer → outcome; the shared status rules.
        .target(name: "SluiceProviders", dependencies: ["SluiceCore", "SluiceConfig", "SluiceJSON", "SluiceSpool"], swiftSettings: strict),
        // One worker process: claim, reserve, send, classify, settle; graceful drain.
        .target(name: "SluiceWorker", dependencies: ["CSluiceShim", "SluicePOSIX", "SluiceCore", "SluiceJSON", "SluiceLimiter", "SluiceSpool", "SluiceConfig", "SluiceProviders"], swiftSettings: strict),
        // The supervisor's HTTP listener: /metrics, health, ingest and admin API; and their client.
        .target(name: "SluiceControl", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceJSON", "SluiceLimiter", "SluiceSpool", "SluiceConfig", "SluiceProviders", "SluiceHTTP", "SluiceCluster"], swiftSettings: strict),
        // `sluice run`: prepares segment and spool, runs and restarts the workers.
        .target(name: "SluiceSupervisor", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceLimiter", "SluiceSpool", "SluiceConfig", "SluiceControl", "SluiceCluster"], swiftSettings: strict),
        // Layer 1: an HTTP/1.1 server on POSIX sockets (epoll), for the control plane and the sandbox.
        .target(name: "SluiceHTTP", dependencies: ["SluicePOSIX", "CSluiceShim"], swiftSettings: strict),
        // `sluice sandbox`: a local stand-in for SendGrid, Stripe, OpenAI and Twilio, with their limits.
        .target(name: "SluiceSandbox", dependencies: ["SluiceCore", "SluiceHTTP", "SluiceJSON", "SluiceLimiter", "SluicePOSIX"], swiftSettings: strict),
        // Layer 1: our own Redis client (RESP2/RESP3, TCP and Unix sockets, bounded calls), for the multi-host limiter.
        .target(name: "SluiceRedis", dependencies: ["SluicePOSIX", "SluiceCore"], swiftSettings: strict),
        // Several hosts, one limit: the host's agent reserving blocks of each queue's one schedule in Redis.
        .target(name: "SluiceCluster", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceLimiter", "SluiceConfig", "SluiceRedis"], swiftSettings: strict),
        // Measurements behind `sluice bench`.
        .target(name: "SluiceBench", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceJSON", "SluiceLimiter", "SluiceSpool", "SluiceConfig", "SluiceProviders", "SluiceWorker", "SluiceControl", "SluiceRedis"], swiftSettings: strict),
        // Command-line parsing and subcommands; the executable only calls into it.
        .target(name: "SluiceCLI", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceJSON", "SluiceLimiter", "SluiceSpool", "SluiceBench", "SluiceConfig", "SluiceProviders", "SluiceWorker", "SluiceSupervisor", "SluiceSandbox", "SluiceControl", "SluiceHTTP", "SluiceRedis"], swiftSettings: strict),
        .executableTarget(name: "sluice", dependencies: ["SluiceCLI"], swiftSettings: strict),

        // Test doubles and helpers shared by every test target.
        .target(name: "SluiceTestSupport", dependencies: ["SluicePOSIX"], path: "Tests/SluiceTestSupport", swiftSettings: strict),
        // A child process the multi-process tests spawn to act on the coordinator.
        .executableTarget(name: "sluice-test-child", dependencies: ["SluicePOSIX", "SluiceCore", "SluiceLimiter", "SluiceSpool"], path: "Tests/SluiceTestChild", swiftSettings: strict),
        .testTarget(name: "SluiceJSONTests", dependencies: ["SluiceJSON"], swiftSettings: strict),
        .testTarget(name: "SluiceLimiterTests", dependencies: ["SluiceCore", "SluiceLimiter", "SluiceTestSupport", "sluice-test-child"], swiftSettings: strict),
        .testTarget(name: "SluiceConfigTests", dependencies: ["SluiceCore", "SluiceConfig", "SluiceRedis", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(name: "SluiceProvidersTests", dependencies: ["SluiceCore", "SluiceConfig", "SluiceJSON", "SluiceProviders", "SluiceSpool", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(name: "SluiceFleetTests", dependencies: ["SluiceControl", "SluiceHTTP", "SluiceJSON", "SluicePOSIX", "SluiceCore", "SluiceLimiter", "SluiceConfig", "SluiceProviders", "SluiceRedis", "SluiceSpool", "SluiceWorker", "SluiceSupervisor", "SluiceTestSupport", "sluice", "sluice-test-child"], swiftSettings: strict),
        .testTarget(name: "SluiceControlTests", dependencies: ["SluiceControl", "SluiceCLI", "SluiceCluster", "SluiceCore", "SluiceJSON", "SluiceLimiter", "SluiceRedis", "SluiceSpool", "SluiceConfig", "SluiceHTTP", "SluicePOSIX", "SluiceTestSupport", "sluice"], swiftSettings: strict),
        .testTarget(name: "SluiceHTTPTests", dependencies: ["SluiceHTTP", "SluicePOSIX", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(name: "SluiceSandboxTests", dependencies: ["SluiceCore", "SluiceProviders", "SluiceSandbox", "SluiceTestSupport", "sluice"], swiftSettings: strict),
        .testTarget(name: "SluiceBenchTests", dependencies: ["SluiceBench", "SluiceJSON", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(name: "SluiceRedisTests", dependencies: ["SluiceRedis", "SluicePOSIX", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(name: "SluiceClusterTests", dependencies: ["SluiceCluster", "SluiceConfig", "SluiceCore", "SluiceLimiter", "SluicePOSIX", "SluiceRedis", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(name: "SluiceSpoolTests", dependencies: ["SluiceCore", "SluiceJSON", "SluiceSpool", "SluiceTestSupport", "sluice-test-child"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
