import Glibc
import SluiceHTTP
import SluicePOSIX
import SluiceTestSupport
import Testing

/// `sluice sandbox` as a black box: spawn the built binary, read what it
/// prints, talk HTTP to it, signal it, read its exit status.
@Suite struct SandboxCommandTests {
    /// Starts `sluice sandbox`, waits for its address line, returns the child and port.
    static func start(_ arguments: [String] = [], in scratch: ScratchDirectory) throws -> (SpawnedChild, UInt16?) {
        let child = try SpawnedChild(ChildProcessRunner.product("sluice"), ["sandbox", "--listen", "127.0.0.1:0"] + arguments,
                                     in: scratch, label: "sandbox")
        guard child.waitForOutput(containing: "\n") else { return (child, nil) }
        let line = child.output.split(separator: "\n").first.map(String.init) ?? ""
        let port = line.hasPrefix("sandbox listening on 127.0.0.1:") ? UInt16(line.dropFirst("sandbox listening on 127.0.0.1:".count)) : nil
        return (child, port)
    }

    @Test func sandbox_printsItsAddress_answers_andExitsZeroOnSIGTERM() async throws {
        let outcome = try await offPool { () throws -> (String, Int?, Int?, SluicePOSIX.ExitStatus, String) in
            let scratch = try ScratchDirectory(label: "sandbox-cli")
            let (child, port) = try Self.start(in: scratch)
            guard let port else { return (child.output, nil, nil, child.kill() ?? .exited(-1), "") }
            let form = Array("amount=100&currency=usd".utf8)
            let payment = try TestHTTPConnection.request(port: port, "POST", "/v1/payment_intents",
                                                         headers: [("Authorization", "Bearer sk_test_secretvalue1234"),
                                                                   ("Content-Type", "application/x-www-form-urlencoded")], body: form)
            let stats = try TestHTTPConnection.request(port: port, "GET", "/__sandbox/stats")
            child.process.send(SIGTERM)
            let status = try child.wait()
            let logged = (readTextFile(scratch.file("sandbox.err")) ?? "") + child.output
            return (child.output, payment?.status, stats?.status, status, logged)
        }
        #expect(outcome.0.hasPrefix("sandbox listening on 127.0.0.1:"))
        #expect(outcome.0.split(separator: "\n").count == 1)
        #expect(outcome.1 == 200)
        #expect(outcome.2 == 200)
        #expect(outcome.3 == .exited(0))
        #expect(!outcome.4.contains("secretvalue"), "the sandbox must never log a credential")
    }

    @Test func sandbox_forcedFaultsAtRuntime_reachClientsOverHTTP() async throws {
        let (forced, dropped) = try await offPool { () throws -> (TestHTTPResponse?, Bool) in
            let scratch = try ScratchDirectory(label: "sandbox-faults")
            let (child, port) = try Self.start(in: scratch)
            defer { child.kill() }
            guard let port else { return (nil, false) }
            let plan = Array(#"{"force429": [{"endpoint": "openai.chat_completions", "count": 1, "retryAfter": 2}], "dropRatio": 1, "endpoints": ["sendgrid.mail_send"]}"#.utf8)
            _ = try TestHTTPConnection.request(port: port, "POST", "/__sandbox/faults", body: plan)
            let chat = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8)
            let forced = try TestHTTPConnection.request(port: port, "POST", "/v1/chat/completions",
                                                        headers: [("Authorization", "Bearer sk-x"), ("Content-Type", "application/json")], body: chat)
            let mail = try TestHTTPConnection(port: port)
            mail.send(TestHTTPConnection.requestBytes("POST", "/v3/mail/send", headers: [("Authorization", "Bearer SG.x")], body: Array("{}".utf8)))
            return (forced, mail.readResponse() == nil && mail.waitForClose())
        }
        #expect(forced?.status == 429)
        #expect(forced?.header("Retry-After") == "2")
        #expect(forced?.header("x-ratelimit-limit-requests") == "60")
        #expect(dropped)
    }

    @Test func sandbox_badConfiguration_exitsTwoNamingTheField() async throws {
        let (status, message) = try await offPool { () throws -> (SluicePOSIX.ExitStatus, String) in
            let scratch = try ScratchDirectory(label: "sandbox-config")
            let path = scratch.file("sandbox.json")
            let file = fopen(path, "w")
            fputs(#"{"limits": {"stripe.requests": "100/sec"}}"#, file)
            fclose(file)
            let child = try SpawnedChild(ChildProcessRunner.product("sluice"), ["sandbox", "--listen", "127.0.0.1:0", "--config", path],
                                         in: scratch, label: "sandbox")
            return (try child.wait(), readTextFile(scratch.file("sandbox.err")) ?? "")
        }
        #expect(status == .exited(2))
        #expect(message.contains("limits.stripe.requests"))
        #expect(message.contains("100/sec"))
    }

    @Test func sandbox_badListenAddress_exitsTwo() async throws {
        let status = try await offPool { () throws -> SluicePOSIX.ExitStatus in
            let scratch = try ScratchDirectory(label: "sandbox-listen")
            return try SpawnedChild(ChildProcessRunner.product("sluice"), ["sandbox", "--listen", "localhost"], in: scratch, label: "sandbox").wait()
        }
        #expect(status == .exited(2))
    }
}
