import Foundation
import Glibc
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// A running fleet against a provider that misbehaves on purpose (written in
/// the test, on 127.0.0.1): it echoes the credential back, and it answers
/// with bodies built to exhaust a worker. Nothing it sends may reach the
/// spool, the log, the API or the CLI with the credential in it, and no
/// answer may make a worker hold much more than `maxResponseBytes`.
@Suite(.serialized) struct HostileUpstreamTests {
    static let secret = "sk_live_hostile_0123456789abcdefXYZ"

    /// Every file under `root`, read (the spool: ready, dead, history, batches…).
    static func filesContaining(_ needle: String, under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [String] = []
        for case let relative as String in walker {
            let path = root + "/" + relative
            if let data = FileManager.default.contents(atPath: path), String(decoding: data, as: UTF8.self).contains(needle) {
                found.append(relative)
            }
        }
        return found
    }

    @Test func anUpstreamThatEchoesTheCredential_leavesItNowhere() throws {
        let upstream = try HostileUpstream { request in
            // A debugging proxy's error page: the request head back, then a JSON echo.
            let auth = request.head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("authorization:") } ?? ""
            let page = "Unauthorized; you sent:\n\(request.head)\n{\"headers\":{\"authorization\":\"\(auth.dropFirst(15))\"}}\n\u{1b}[2J\u{9b}31m"
            return .bytes(HostileUpstream.response(401, [("Content-Type", "text/plain")], body: Array(page.utf8)))
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"echo-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s", "credential": "HOSTILE_API_KEY"}}
            """)
        try fixture.enqueue("echo-api", [#"{"id": "echoed", "kind": "http", "payload": {"method": "POST", "path": "/v1/x", "body": {"n": 1}}}"#])
        try fixture.startFleet(environment: FleetFixture.credentials.merging(["HOSTILE_API_KEY": Self.secret]) { _, new in new })
        #expect(ChildProcessRunner.waitUntil(seconds: 20) { (try? fixture.counts("echo-api").dead) == 1 }, "the 401 made the task dead")
        #expect(upstream.requests.first?.head.contains("Bearer \(Self.secret)") == true, "the upstream did get the credential")

        let shown = try fixture.api("GET", "/v1/tasks/echoed")
        let (_, deadList, _) = try fixture.cli(["dead", "list", "echo-api"])
        let (_, taskShow, _) = try fixture.cli(["task", "show", "echoed"])
        let (_, taskJSON, _) = try fixture.cli(["task", "show", "echoed", "--json"])
        #expect(try fixture.stopFleet().0 == .exited(0))
        let log = fixture.fleetLog.joined(separator: "\n")
        let base64 = Data(Self.secret.utf8).base64EncodedString()
        for form in [Self.secret, base64, "0123456789abcdef"] {
            #expect(Self.filesContaining(form, under: fixture.spoolRoot).isEmpty, "the spool holds \(form)")
            #expect(!log.contains(form), "the log holds \(form)")
            #expect(!shown.message.contains(form), "GET /v1/tasks holds \(form)")
            #expect(!deadList.contains(form) && !taskShow.contains(form) && !taskJSON.contains(form), "the CLI shows \(form)")
        }
        #expect(shown.message.contains("HTTP 401: Unauthorized; you sent:") && shown.message.contains("[redacted]"), "\(shown.message)")
        #expect(deadList.contains("[redacted]"), "\(deadList)")
        // What the provider wrote reaches the terminal escaped, never as commands.
        for output in [deadList, taskShow, taskJSON] {
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) }, "\(output)")
        }
    }

    /// Peak resident memory of `pid`, in KiB (VmHWM).
    static func peakResidentKB(_ pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func answersBuiltToExhaustAWorker_failTheAttempt_andTheWorkerStaysSmall() throws {
        let bomb = Deflate.gzipBomb(decodedBytes: 300 << 20)          // ~2 MB on the wire, 300 MB inflated
        let nothing = Deflate.gzipOfNothing()                          // endless, inflates to nothing
        let upstream = try HostileUpstream { request in
            switch request.path {
            case "/bomb":
                let small = Deflate.gzipBomb(decodedBytes: 8 << 20)     // 52 KB on the wire: under the limit until inflated
                return .bytes(HostileUpstream.response(200, [("Content-Encoding", "gzip")], body: small))
            case "/nothing":
                return .stream(head: HostileUpstream.response(200, [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
                                + Self.chunk(nothing.head), chunk: Self.chunk(nothing.chunk), seconds: 20)
            case "/redirect":
                return .bytes(HostileUpstream.response(301, [("Location", "/elsewhere"), ("Content-Encoding", "gzip")], body: bomb))
            case "/declared":
                return .stream(head: HostileUpstream.response(200, [], contentLength: 1 << 30), chunk: [UInt8](repeating: 0x61, count: 65536), seconds: 20)
            default:
                return .bytes(HostileUpstream.response(200, body: Array("{}".utf8)))
            }
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"big-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s", "maxResponseBytes": 65536, "requestTimeout": "60s"}}
            """)
        let paths = ["bomb", "nothing", "redirect", "declared", "fine"]
        try fixture.enqueue("big-api", paths.map { #"{"id": "\#($0)", "kind": "http", "payload": {"method": "GET", "path": "/\#($0)"}}"# })
        let started = MonotonicClock.now()
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 30) { (try? fixture.counts("big-api").dead) == 4 }, "four answers over the limit, four dead tasks")
        let seconds = Double(MonotonicClock.now() - started) / 1e9
        #expect(seconds < 15, "cut off long before the 60 s request timeout (took \(seconds) s)")
        let workers = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "worker.started" }.compactMap { $0.fields["pid"].flatMap(pid_t.init) }
        let peak = workers.map(Self.peakResidentKB).max() ?? 0
        let reasons = try paths.map { path in try fixture.api("GET", "/v1/tasks/\(path)").json?["lastError"] }
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(peak > 0 && peak < 200 << 10, "the worker peaked at \(peak / 1024) MB for answers of up to 300 MB inflated")
        let expected = ["as delivered (decompressed)", "as sent (compressed)", "HTTP 301: the answer", "declared 1073741824 bytes", nil]
        for (reason, fragment) in zip(reasons, expected) {
            guard let fragment else { #expect(reason == nil, "the small answer completed"); continue }
            guard case .string(let text)? = reason else { Issue.record("no lastError for \(fragment)"); continue }
            #expect(text.contains("larger than the queue's maxResponseBytes (65536)") && text.contains(fragment), "\(text)")
        }
    }

    /// A server that takes the request and never begins its answer holds the
    /// attempt (and its fleet-wide slot) only until `firstByteTimeout`, not the
    /// whole request timeout; the task is retried, not lost.
    @Test func anUpstreamThatNeverAnswers_isGivenUpOnAtTheFirstByteTimeout() throws {
        let upstream = try HostileUpstream { request in
            request.path == "/hang" ? .silence(seconds: 20) : .bytes(HostileUpstream.response(200, body: Array("{}".utf8)))
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"hang-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s", "maxConcurrent": 1,
                          "requestTimeout": "30s", "firstByteTimeout": "1s", "retry": {"maximumAttempts": 1}}}
            """)
        try fixture.enqueue("hang-api", [#"{"id": "hang", "kind": "http", "payload": {"method": "POST", "path": "/hang", "body": "x"}}"#,
                                         #"{"id": "fine", "kind": "http", "payload": {"method": "GET", "path": "/fine"}}"#])
        let started = MonotonicClock.now()
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 20) { (try? fixture.counts("hang-api").dead) == 1 }, "the hanging attempt was given up")
        let seconds = Double(MonotonicClock.now() - started) / 1e9
        #expect(seconds < 6, "given up after about 1 s, not 30 s (took \(seconds) s)")
        #expect(fixture.waitUntilDrained(["hang-api"], seconds: 10), "the other task, behind the one slot, was sent")
        let reason = try fixture.api("GET", "/v1/tasks/hang").json?["lastError"]
        #expect(try fixture.stopFleet().0 == .exited(0))
        guard case .string(let text)? = reason else { Issue.record("no lastError"); return }
        #expect(text.contains("firstByteTimeout"), "\(text)")
    }

    /// One chunk of a chunked body.
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10]
    }
}
