import SluiceLimiter
import SluiceTestSupport
import Testing
@testable import SluiceConfig
import SluiceCore

@Suite struct FleetConfigTests {
    func parse(_ text: String) throws(ConfigError) -> FleetConfig { try FleetConfig.parse(Array(text.utf8)) }

    /// The error a configuration gets, or a recorded issue if it was accepted.
    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
            return nil
        } catch {
            return error
        }
    }

    @Test func shippedExamples_parse() throws {
        for name in ["sluice.json", "sandbox.json"] {
            let path = "\(#filePath.split(separator: "/").dropLast(3).joined(separator: "/"))/examples/\(name)"
            let text = try #require(readTextFile("/" + path), "examples/\(name)")
            let config = try parse(text)
            #expect(config.queues.map(\.name.rawValue) == ["sendgrid-api", "stripe-api", "openai-api", "twilio-api"])
        }
    }

    @Test func minimalQueue_getsTheDocumentedDefaults() throws {
        let config = try parse(#"{"queues": {"mail": {"provider": "sendgrid", "rate": "90/min"}}}"#)
        #expect(config.fleet.rawValue == "default" && config.listen == .defaultAddress && config.shutdownTimeout == 30_000_000_000)
        let queue = try #require(config.queue("mail"))
        #expect(queue.baseURL == "https://api.sendgrid.com" && queue.credential?.name == "SENDGRID_API_KEY")
        #expect(queue.burst == 1 && queue.processes == 1 && queue.maxConcurrentPerWorker == 4 && queue.maxConcurrent == 0)
        #expect(queue.retry == RetryPolicy())
        #expect(queue.limits.rate == GCRA.Limit(rate: try Rate(parsing: "90/min"), burst: 1))
    }

    @Test func fullQueue_decodesEveryField() throws {
        let config = try parse("""
            {"fleet": "prod", "spool": "/srv/spool", "listen": "0.0.0.0:8080", "adminToken": "SLUICE_TOKEN",
             "shutdownTimeout": "1m30s", "doneRetention": "1h", "maxRequestBodyBytes": 65536,
             "queues": {"sms": {"provider": "twilio", "baseURL": "http://127.0.0.1:9/", "rate": "10/s", "burst": 2,
               "perWorkerRate": "5/s", "perWorkerBurst": 3, "maxConcurrentPerWorker": 8, "maxConcurrent": 20,
               "processes": 3, "requestTimeout": "5s", "credential": "TW_TOKEN", "accountSid": "AC1",
               "perKey": {"rate": "1/s"}, "weighted": [{"name": "segments", "rate": "100/s", "burst": 10}],
               "retry": {"initialInterval": "500ms", "backoffCoefficient": 1.5, "maximumInterval": "1m",
                         "maximumAttempts": 7, "jitter": 0}}}}
            """)
        #expect(config.fleet.rawValue == "prod" && config.spoolRoot == "/srv/spool" && !config.listen.isLoopback)
        #expect(config.shutdownTimeout == 90_000_000_000 && config.doneRetention == 3_600_000_000_000)
        #expect(config.maxRequestBodyBytes == 65536)
        #expect(config.adminToken == CredentialSource(name: "SLUICE_TOKEN"))
        let queue = try #require(config.queue("sms"))
        #expect(queue.baseURL == "http://127.0.0.1:9" && queue.perKey?.field == "From" && queue.weighted.count == 1)
        #expect(queue.retry.initialInterval == 500_000_000 && queue.retry.maximumAttempts == 7 && queue.retry.jitter == 0)
        #expect(queue.limits.maxConcurrent == 20 && queue.limits.perKey != nil && queue.processes == 3)
    }

    @Test func nonLoopbackListen_withoutAToken_isRefused_namingTheFix() {
        #expect {
            try parse(#"{"listen": "0.0.0.0:9464", "queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#)
        } throws: { "\($0)".contains("adminToken") && "\($0)".contains("listen") }
    }

    @Test(arguments: [
        (#"{"queues": {"q": {"provider": "stripe", "rate": "100/sec"}}}"#,
         #"config: queues.q.rate: "100/sec" is not a rate: "sec" is not a unit; write "100/s" or "6000/min" (units: s, min, h, d)"#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "procesess": 2}}}"#,
         "config: queues.q.procesess: is not a known field (known here: accountSid, baseURL, budgetHeaders, burst, credential, firstByteTimeout, maxConcurrent, maxConcurrentPerWorker, maxResponseBytes, perKey, perWorkerBurst, perWorkerRate, processes, provider, rate, requestTimeout, resultHeaders, resultMaxBytes, resultRetention, retry, weighted)"),
        // Found by the `config` fuzz target: an empty key was refused naming no field at all.
        (#"{"": 1, "queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#,
         #"config: "": is not a known field (known here: adminToken, allowedHosts, coordinator, doneRetention, fleet, listen, logLevel, maxBufferedBodyBytes, maxConnections, maxRequestBodyBytes, queues, resultRetention, shutdownTimeout, spool)"#),
        (#"{"queues": {"q": {"provider": "mailgun", "rate": "1/s"}}}"#,
         #"config: queues.q.provider: "mailgun" is not a provider; use one of sendgrid, stripe, openai, twilio, http"#),
        (#"{"queues": {"q": {"provider": "http", "rate": "1/s"}}}"#,
         #"config: queues.q.baseURL: is required for the http provider, e.g. "https://api.example.com""#),
        (#"{"queues": {"q": {"provider": "http", "rate": "1/s", "baseURL": "ftp://x"}}}"#,
         #"config: queues.q.baseURL: "ftp://x" is not a base URL; write e.g. "https://api.example.com" (http or https, a host, no query)"#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "processes": 0}}}"#,
         "config: queues.q.processes: 0 is not in 1…64"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "retry": {"maximumAttempts": "5"}}}}"#,
         "config: queues.q.retry.maximumAttempts: must be a whole number, not a string"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "requestTimeout": "30"}}}"#,
         #"config: queues.q.requestTimeout: "30" is not a duration; write e.g. "30s", "10m", "1m30s" or "250ms""#),
        (#"{"queues": {"Q": {"provider": "stripe", "rate": "1/s"}}}"#,
         #"config: queues.Q: queue: "Q" is not a queue name; use only lowercase letters, digits and "-""#),
        (#"{"queues": {"q": {"provider": "twilio", "rate": "1/s"}}}"#,
         "config: queues.q.accountSid: is required for twilio (the AC… account SID in the Messages URL)"),
        (#"{"queues": {}}"#,
         #"config: queues: is required: an object with at least one queue, e.g. {"stripe-api": {"provider": "stripe", "rate": "90/s"}}"#),
        (#"{"listen": "localhost", "queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#,
         #"config: listen: "localhost" is not an address; write "127.0.0.1:9464" (IPv4 literal and port)"#),
        (#"{"fleet": "a/b", "queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#,
         "config: fleet: fleet name \"a/b\" is not valid: use 1–64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s"}}, "queues": {}}"#,
         "config: not valid JSON at byte 58: key \"queues\" appears twice"),
        (#"{"spool": "relative/dir", "queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#,
         #"config: spool: "relative/dir" must be an absolute directory path, e.g. "/var/lib/sluice/spool""#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "weighted": [{"name": "t"}]}}}"#,
         #"config: queues.q.weighted[0].rate: is required, e.g. "90000/min""#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "retry": {"initialInterval": "2m", "maximumInterval": "1m"}}}}"#,
         "config: queues.q.retry.maximumInterval: is shorter than initialInterval"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "budgetHeaders": {"remaining": "X-Left"}}}}"#,
         "config: queues.q.budgetHeaders: applies only to the http provider; stripe answers are read with its own headers"),
        (#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"limit": "X-Quota"}}}}"#,
         #"config: queues.q.budgetHeaders.remaining: is required: the header that says how many requests are left, e.g. "X-RateLimit-Remaining""#),
        (#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"remaining": "X Left"}}}}"#,
         #"config: queues.q.budgetHeaders.remaining: "X Left" is not a header name; write e.g. "X-RateLimit-Remaining" (letters, digits and "-")"#),
        (#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"remaining": "L", "reset": "R", "resetFormat": "unix"}}}}"#,
         #"config: queues.q.budgetHeaders.resetFormat: "unix" is not a reset format; use one of "seconds", "milliseconds", "epoch", "duration""#),
        (#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"remaining": "L", "resetFormat": "epoch"}}}}"#,
         #"config: queues.q.budgetHeaders.resetFormat: needs "reset", the header it describes"#),
        (#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"remaining": "L", "resets": "R"}}}}"#,
         "config: queues.q.budgetHeaders.resets: is not a known field (known here: limit, remaining, reset, resetFormat)"),
        (#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"remaining": 5}}}}"#,
         "config: queues.q.budgetHeaders.remaining: must be a string, not a number"),
    ])
    func badConfig_isRefusedNamingTheField(_ text: String, _ expected: String) {
        #expect(error(text)?.description == expected)
    }

    @Test func budgetHeaders_ofAnHTTPQueue_areReadLowercasedWithTheirResetFormat() throws {
        let config = try parse(#"""
            {"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s",
                              "budgetHeaders": {"remaining": "X-Quota-Left", "limit": "X-Quota", "reset": "X-Quota-Reset", "resetFormat": "epoch"}}}}
            """#)
        #expect(config.queue("q")?.budgetHeaders
                == BudgetHeaders(remaining: "x-quota-left", limit: "x-quota", reset: "x-quota-reset", resetFormat: .epoch))
        let plain = try parse(#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s", "budgetHeaders": {"remaining": "Left"}}}}"#)
        #expect(plain.queue("q")?.budgetHeaders == BudgetHeaders(remaining: "left", resetFormat: .seconds))
        #expect(try parse(#"{"queues": {"q": {"provider": "http", "baseURL": "http://x", "rate": "1/s"}}}"#).queue("q")?.budgetHeaders == nil)
    }

    @Test func credential_resolvesFromVariableFileOrSystemd() throws {
        let source = CredentialSource(name: "KEY")
        let files = ["/run/key": "from-file\n", "/creds/KEY": "from-systemd"]
        let read = { (path: String) in files[path] }
        #expect(try source.resolve(environment: ["KEY": "direct"], readFile: read).reveal() == "direct")
        #expect(try source.resolve(environment: ["KEY_FILE": "/run/key"], readFile: read).reveal() == "from-file")
        #expect(try source.resolve(environment: ["CREDENTIALS_DIRECTORY": "/creds"], readFile: read).reveal() == "from-systemd")
        #expect(throws: ConfigError.self) { try source.resolve(environment: [:], readFile: read) }
        #expect(throws: ConfigError.self) { try source.resolve(environment: ["KEY_FILE": "/missing"], readFile: read) }
    }

    @Test func secret_neverPrintsItsValue() {
        let secret = Secret("sk_live_123")
        #expect("\(secret)" == "<redacted>" && String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("sk_live"))
    }
}

@Suite struct DurationAndRetryTests {
    @Test(arguments: [("30s", 30_000_000_000 as UInt64), ("10m", 600_000_000_000), ("1m30s", 90_000_000_000),
                      ("250ms", 250_000_000), ("1.5s", 1_500_000_000), ("6m0s", 360_000_000_000), ("20ms", 20_000_000),
                      ("1h", 3_600_000_000_000), ("0s", 0), ("0", 0), ("7.66s", 7_660_000_000)])
    func duration_parsesGoStyle(_ text: String, _ nanoseconds: UInt64) {
        #expect(DurationText.nanoseconds(text) == nanoseconds)
    }

    @Test(arguments: ["", "30", "s", "-1s", "1x", "1.s", ".5s", "1s ", "99999999999h", "1e3s"])
    func duration_refusesWhatIsNotOne(_ text: String) {
        #expect(DurationText.nanoseconds(text) == nil)
    }

    /// Found by the `rate` fuzz target: through `Double`, large durations
    /// were described as other durations; near `UInt64.max`, goStyle trapped.
    @Test(arguments: [(10_000_007_006_000_000_000 as UInt64, "10000007006s"), (1_500_000_000, "1.5s"), (90_000_000_000, "1.5m"),
                      (3_600_001_000_000, "3600.001s"), (3_603_600_000_000, "1.001h"), (250_000_000, "250ms"), (1_250_000, "1.25ms"),
                      (999, "999ns"), (1_000_000_001, "1000000001ns")])
    func describe_parsesBackExactly(_ nanoseconds: UInt64, _ text: String) {
        #expect(DurationText.describe(nanoseconds) == text)
        #expect(DurationText.nanoseconds(text) == nanoseconds)
    }

    @Test func goStyle_nearTheLargestDuration_roundsWithoutOverflow() {
        #expect(DurationText.goStyle(.max) == "5124095h34m33.71s")
    }

    @Test(arguments: [(20_000_000 as UInt64, "20ms"), (1_000_000_000, "1s"), (1_500_000_000, "1.5s"), (360_000_000_000, "6m0s"),
                      (3_723_000_000_000, "1h2m3s")])
    func goStyle_writesDurationsAsOpenAIDoes(_ nanoseconds: UInt64, _ text: String) {
        #expect(DurationText.goStyle(nanoseconds) == text)
        #expect(DurationText.nanoseconds(text) == nanoseconds, "and reads them back")
    }

    @Test func backoff_growsByTheCoefficientUpToTheMaximum() {
        var policy = RetryPolicy()
        policy.maximumInterval = 10_000_000_000
        #expect((1...6).map { policy.backoff(afterAttempt: $0) } == [1, 2, 4, 8, 10, 10].map { $0 * 1_000_000_000 })
        policy.jitter = 0.5
        #expect(policy.delay(afterAttempt: 2, unit: 0) == 2_000_000_000)
        #expect(policy.delay(afterAttempt: 2, unit: 0.999) > 1_000_000_000 && policy.delay(afterAttempt: 2, unit: 0.999) < 1_010_000_000)
    }
}
