@testable import SluiceBench
import Testing

/// The workers' CPU per request (`bench schedule`'s keys scenario), and the
/// /proc readings it is made of.
@Suite struct CPUPerRequestTests {
    static func worker(_ pid: Int32, cpu: Double) -> E2EDrainReport.Worker {
        E2EDrainReport.Worker(pid: pid, queue: "twilio-api", cpuSeconds: cpu)
    }

    @Test func everyWorkerCounts_includingOnesThatExited_overEveryRequestSent() {
        // Two workers, and one that was replaced after 0.25 s of CPU: 1.5 s over 3,000 requests is 500 µs each.
        let cost = CPUPerRequest(workers: [Self.worker(10, cpu: 0.75), Self.worker(11, cpu: 0.5), Self.worker(12, cpu: 0.25)], requests: 3000)
        #expect(cost.workerSeconds == 1.5)
        #expect(cost.microseconds == 500)
        #expect(CPUPerRequest(workers: [Self.worker(10, cpu: 1)], requests: 0).microseconds == nil)
    }

    @Test(arguments: [
        // many keys (s, requests)  few keys (s, requests)  ratio
        (1.5, 3000,                 1.0, 3000,              1.5 as Double?),
        (1.0, 3000,                 2.0, 3000,              0.5),
        (1.0, 1000,                 1.0, 2000,              2.0),     // per request, not in total
        (1.0, 3000,                 0.0, 3000,              nil),     // a baseline of nothing is no baseline
        (1.0, 0,                    1.0, 3000,              nil),
    ])
    func ratio_isOfTheCostPerRequest(manySeconds: Double, manyRequests: Int, fewSeconds: Double, fewRequests: Int, expected: Double?) {
        let many = CPUPerRequest(workers: [Self.worker(1, cpu: manySeconds)], requests: manyRequests)
        let few = CPUPerRequest(workers: [Self.worker(2, cpu: fewSeconds)], requests: fewRequests)
        #expect(many.ratio(to: few) == expected)
    }

    @Test func procStat_cpuIsUtimePlusStime_countedAfterTheLastParenthesis() {
        // A command name with spaces and a ")" must not shift the fields (proc(5)): utime 250, stime 30.
        let stat = "4242 (sluice) worker (x)) S 4200 4242 4200 0 -1 4194560 900 0 0 0 250 30 0 0 20 0 5 0 777 1000000 2000 18446744073709551615"
        #expect(E2EProcessSample.cpuTicks(stat) == 280)
        #expect(E2EProcessSample.cpuTicks("4242 no parenthesis") == nil)
        #expect(E2EProcessSample.cpuTicks("4242 (short) S 1 2") == nil)
    }

    @Test func procStat_aLiveChildIsNotAZombie_andHasTheParent() {
        let running = "4242 (sluice (w)) S 4200 4242 4200 0 -1 4194560 900 0 0 0 250 30"
        let zombie = "4242 (sluice) Z 4200 4242 4200 0 -1 4194560 900 0 0 0 250 30"
        #expect(E2EProcessSample.isLiveChild(stat: running, of: 4200))
        #expect(!E2EProcessSample.isLiveChild(stat: running, of: 4201), "a reused pid with another parent")
        #expect(!E2EProcessSample.isLiveChild(stat: zombie, of: 4200))
        #expect(!E2EProcessSample.isLiveChild(stat: "", of: 4200))
    }
}
