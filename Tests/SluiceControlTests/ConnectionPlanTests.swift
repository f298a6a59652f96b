import SluiceHTTP
import Testing
@testable import SluiceControl

/// The listener's cap, as a table: the descriptor limit and what is open at
/// start decide it, always leaving files and probes their descriptors.
@Suite struct ConnectionPlanTests {
    @Test(arguments: [
        // limit, open, configured → connections, probes, reserve
        (1024, 40, 1024, 722, 16, 246),      // the usual soft limit: below the configured 1024
        (65536, 40, 1024, 1024, 16, 256),    // LimitNOFILE=65536: the configured cap
        (128, 30, 1024, 62, 4, 32),          // ulimit -n 128
        (40, 38, 1024, 1, 4, 32),            // nothing left: still one connection, and the fix is logged
    ])
    func plan(_ limit: Int, _ open: Int, _ configured: Int, _ connections: Int, _ probes: Int, _ reserve: Int) {
        let plan = ConnectionPlan(descriptorLimit: limit, openNow: open, configured: configured)
        #expect(plan.maxConnections == connections)
        #expect(plan.probeConnections == probes)
        #expect(plan.reserve == reserve)
        if connections > 1 { #expect(plan.maxConnections + plan.probeConnections + plan.reserve + open <= limit) }
    }

    @Test(arguments: [
        ("127.0.0.1:9464", true), ("localhost", true), ("LOCALHOST.:9464", true), ("10.0.0.7", true), ("[::1]:9464", true),
        ("sluice.internal:9464", true), ("a.pods.internal", true), ("pods.internal", false), ("evil.example", false), ("localhost.evil.example", false), ("127.0.0.1.evil.example", false),
        ("1.2.3", false), ("999.1.1.1", false), ("[evil.example]", false), ("[::1]evil.example", false), ("[::ffff:127.0.0.1]", true),
        ("127.0.0.1@evil.example", false),
    ])
    func host(_ host: String, _ allowed: Bool) {
        #expect(BrowserGuard(allowedHosts: ["sluice.internal", ".pods.internal"]).isAllowed(host: host) == allowed)
    }
}
