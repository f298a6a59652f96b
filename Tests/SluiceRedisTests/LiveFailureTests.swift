import Glibc
import SluicePOSIX
@testable import SluiceRedis
import SluiceTestSupport
import Testing

extension LiveRedis {
    /// What a caller sees when Redis is paused, killed, restarted or misbehaves:
    /// every call within its budget, typed errors, nothing replayed.
    @Suite struct Failures {
        /// Slack for a loaded 2-core machine over a call's budget.
        static let slackMilliseconds = 150.0

        @Test func paused_callsFailWithinTheirBudget_thenWorkAfterResume() throws {
            let server = try RedisServer()
            defer { server.resume() }
            let redis = try Live.connection(server, options: RedisOptions(timeout: .milliseconds(100)))
            #expect(try redis.send("PING") == .simpleString("PONG"))
            server.pause()
            let (inFlight, first) = Live.timed { Live.error { try redis.send("SET", "k", 1) } }
            guard case .outcomeUnknown(.timedOut(.read, _))? = inFlight else {
                Issue.record("a written command without its reply: \(String(describing: inFlight))")
                return
            }
            #expect(first >= 99 && first < 100 + Self.slackMilliseconds, "\(first) ms")
            // A new connection is accepted by the kernel but never answers the handshake: not sent.
            let (handshake, second) = Live.timed { Live.error { try redis.send("SET", "k", 2) } }
            guard case .notSent(.timedOut(.handshake, _))? = handshake else {
                Issue.record("expected the handshake to time out, got \(String(describing: handshake))")
                return
            }
            #expect(second < 100 + Self.slackMilliseconds, "\(second) ms")
            for _ in 0..<20 {
                let (error, milliseconds) = Live.timed { Live.error { try redis.send("SET", "k", 3) } }
                #expect(error?.failure != nil && !(error.map { if case .outcomeUnknown = $0 { true } else { false } } ?? false),
                        "while paused, a call is either backing off or times out before writing: \(String(describing: error))")
                #expect(milliseconds < 100 + Self.slackMilliseconds)
            }
            server.resume()
            var recovered = false
            let deadline = MonotonicClock.now() + 3_000_000_000
            while !recovered && MonotonicClock.now() < deadline {
                recovered = (try? redis.send("SET", "k", 4)) == .simpleString("OK")
                if !recovered { usleep(10_000) }
            }
            #expect(recovered, "works again within 3 s of SIGCONT")
            #expect(try redis.send("GET", "k") == Live.bulk("4"))
        }

        @Test func killedWithACommandInFlight_outcomeUnknown_neverReplayed() throws {
            let server = try RedisServer()
            let client = try Live.client(server, options: RedisOptions(timeout: .seconds(5)))
            #expect(try client.send("PING") == .simpleString("PONG"))
            server.pause()
            // The INCR is written into the socket of a server that cannot read it.
            let inFlight = Background.run { Live.error { try client.send("INCR", "k") } }
            usleep(200_000)
            server.kill()
            let error = inFlight.join(seconds: 5) ?? nil
            guard case .outcomeUnknown(.connectionLost)? = error else {
                Issue.record("expected outcomeUnknown, got \(String(describing: error))")
                return
            }
            try server.restart()
            #expect(try client.send("GET", "k") == .null, "the INCR was not sent again to the new server")
            #expect(server.cli(["GET", "k"]) == "")
        }

        @Test func pipelineBrokenMidway_keepsTheRepliesRead() throws {
            let server = try RedisServer()
            let client = try Live.client(server, options: RedisOptions(timeout: .seconds(5)))
            // BLPOP blocks only its client, so the SET's reply is sent before the kill.
            let pipeline = Background.run {
                client.pipeline([RedisCommand("SET", "a", 1), RedisCommand("BLPOP", "nothing", 3), RedisCommand("GET", "a")])
            }
            usleep(300_000)
            server.kill()
            guard let results = pipeline.join(seconds: 5) else {
                Issue.record("the pipeline did not return")
                return
            }
            #expect(try results[0].get() == .simpleString("OK"))
            for result in results.dropFirst() {
                guard case .failure(.outcomeUnknown) = result else {
                    Issue.record("a written command without a reply: \(result)")
                    continue
                }
            }
        }

        @Test func aPipelineTooLargeToWrite_splitsIntoUnknownAndNotSent() throws {
            let server = try RedisServer()
            defer { server.resume() }
            let redis = try Live.connection(server, options: RedisOptions(timeout: .milliseconds(300)))
            #expect(try redis.send("PING") == .simpleString("PONG"))
            server.pause()
            let value = [UInt8](repeating: 120, count: 16 * 1024)
            let results = redis.pipeline((0..<2048).map { RedisCommand("SET", "key:\($0)", value) })
            let unknown = results.prefix { if case .failure(.outcomeUnknown(.timedOut(.write, _))) = $0 { true } else { false } }.count
            let notSent = results.dropFirst(unknown).prefix { if case .failure(.notSent(.timedOut(.write, _))) = $0 { true } else { false } }.count
            #expect(unknown > 0, "the commands the kernel took may have run")
            #expect(notSent > 0, "the rest were never written")
            #expect(unknown + notSent == results.count, "\(unknown) unknown + \(notSent) not sent")
        }

        @Test func aSpentBudget_writesNothing() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            #expect(try redis.send("PING") == .simpleString("PONG"))
            let error = Live.error { try redis.send("INCR", "k", timeout: .zero) }
            guard case .notSent(.timedOut(.write, _))? = error else {
                Issue.record("expected not sent, got \(String(describing: error))")
                return
            }
            #expect(try redis.send("GET", "k") == .null)
        }

        @Test func refused_failsFast_thenBacksOff_thenReconnects() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server, options: RedisOptions(timeout: .milliseconds(100)))
            #expect(try redis.send("PING") == .simpleString("PONG"))
            server.kill()
            // The idle connection is seen closed before anything is written: not sent, and refused.
            let (refused, first) = Live.timed { Live.error { try redis.send("PING") } }
            guard case .notSent(.connectFailed(let cause))? = refused else {
                Issue.record("expected connection refused, got \(String(describing: refused))")
                return
            }
            #expect(cause.errno == ECONNREFUSED)
            #expect(first < 50)
            let backingOff = Live.error { try redis.send("PING") }
            guard case .notSent(.backingOff(_, after: .connectFailed))? = backingOff else {
                Issue.record("expected backing off, got \(String(describing: backingOff))")
                return
            }
            try server.restart()
            let reconnected = ChildProcessRunner.waitUntil(seconds: 3) { (try? redis.send("PING")) == .simpleString("PONG") }
            #expect(reconnected, "the backoff is at most 1 s")
        }

        @Test func restartedWhileIdle_theNextCallReconnectsWithoutError() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            #expect(try redis.send("SET", "k", 1) == .simpleString("OK"))
            try server.restart()
            #expect(try redis.send("GET", "k") == .null, "reconnected to the new, empty server on the first call")
        }

        @Test func aReplyOverTheLimit_closesTheConnection_andTheNextCallWorks() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server, options: RedisOptions(timeout: .seconds(2), limits: RESPLimits(maxBulkLength: 1024)))
            #expect(try redis.send("SET", "big", [UInt8](repeating: 1, count: 2048)) == .simpleString("OK"))
            let error = Live.error { try redis.send("GET", "big") }
            guard case .outcomeUnknown(.protocolViolation(let violation))? = error else {
                Issue.record("expected a protocol violation, got \(String(describing: error))")
                return
            }
            #expect(violation.kind == .bulkTooLong)
            #expect(!redis.isConnected)
            #expect(try redis.send("STRLEN", "big") == .integer(2048))
        }

        @Test func reconnectsAndFailedAttempts_leaveNoDescriptorBehind() throws {
            let server = try RedisServer()
            let noWait = RedisOptions(timeout: .milliseconds(200), backoff: ReconnectBackoff(initial: .nanoseconds(1), maximum: .nanoseconds(1)))
            let before = Self.openDescriptors()
            do {
                let redis = try Live.connection(server, options: noWait)
                for _ in 0..<200 {
                    #expect(try redis.send("PING") == .simpleString("PONG"))
                    redis.close()
                }
                let refused = RedisConnection(endpoint: try RedisEndpoint(parsing: "redis://127.0.0.1:\(try RedisServer.freePort())"), options: noWait)
                for _ in 0..<200 { _ = try? refused.send("PING") }
                let unresolvable = RedisConnection(endpoint: try RedisEndpoint(parsing: "redis://nonexistent.invalid"), options: noWait)
                for _ in 0..<20 { _ = try? unresolvable.send("PING") }
            }
            // A lookup thread that outlived its call lets go of its socket pair when it ends.
            let settled = ChildProcessRunner.waitUntil(seconds: 10) { Self.openDescriptors() <= before }
            #expect(settled, "descriptors: \(before) before, \(Self.openDescriptors()) after")
        }

        static func openDescriptors() -> Int {
            guard let directory = opendir("/proc/self/fd") else { return -1 }
            defer { closedir(directory) }
            var count = 0
            while readdir(directory) != nil { count += 1 }
            return count
        }

        @Test func aHostName_isResolvedWithinTheBudget() throws {
            let server = try RedisServer()
            // getaddrinfo itself (the endpoint special-cases "localhost"), then a real connection to its answer.
            let lookup = try HostLookup.start(host: "localhost", port: server.port)
            guard let targets = try lookup.wait(until: MonotonicClock.now() + 2_000_000_000)?.get(), let first = targets.first else {
                Issue.record("localhost did not resolve")
                return
            }
            #expect(targets.contains { $0.description == "localhost:\(server.port)" })
            _ = try RedisSocket.connect(to: first, within: CallBudget(.seconds(1)))
            // A name that cannot resolve fails within the budget, however slow the resolver.
            let redis = RedisConnection(endpoint: try RedisEndpoint(parsing: "redis://nonexistent.invalid:6379"),
                                        options: RedisOptions(timeout: .milliseconds(100)))
            let (error, milliseconds) = Live.timed { Live.error { try redis.send("PING") } }
            switch error {
            case .notSent(.resolveFailed(let host, _))?: #expect(host == "nonexistent.invalid")
            case .notSent(.timedOut(.resolve, _))?: break
            default: Issue.record("expected a resolve failure, got \(String(describing: error))")
            }
            #expect(milliseconds < 100 + Self.slackMilliseconds)
        }
    }
}
