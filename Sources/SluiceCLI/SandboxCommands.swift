import Foundation
import Glibc
import SluiceHTTP
import SluicePOSIX
import SluiceSandbox

/// `sluice sandbox`: the four providers, locally, with their limits.
let sandboxCommands: [Command] = [sandbox]

private let sandbox = Command(
    ["sandbox"],
    summary: "Serve local stand-ins for SendGrid, Stripe, OpenAI and Twilio, with their limits",
    usage: """
        sluice sandbox [--listen HOST:PORT] [--config FILE]

          --listen HOST:PORT  where to listen (default 127.0.0.1:8089; port 0 picks a free one).
                              Prints "sandbox listening on HOST:PORT" once ready.
          --config FILE       limits, required keys, faults and seed, as JSON, e.g.
                              {"limits": {"stripe.requests": "100/s", "twilio.per_number": "1/s"},
                               "faults": {"errorRatio": 0.05, "latency": "50ms"}, "seed": 7}

        Routes: POST /v3/mail/send, /v1/payment_intents, /v1/refunds, /v1/chat/completions,
        /2010-04-01/Accounts/{sid}/Messages.json; GET /__sandbox/stats; GET|POST /__sandbox/faults;
        POST /__sandbox/reset; GET|POST|PUT /__sandbox/echo (unlimited). SIGTERM or SIGINT stops it (exit 0).
        """
) { arguments, terminal in
    let listen = try arguments.option("--listen") ?? "127.0.0.1:8089"
    let configPath = try arguments.option("--config")
    try arguments.finish()
    let address: SocketAddress
    do { address = try SocketAddress(parsing: listen) } catch { throw UsageError("--listen: \(error)") }
    var configuration = SandboxConfiguration()
    if let configPath {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw UsageError("--config: cannot read \"\(configPath)\"; check the path and its permissions")
        }
        do { configuration = try SandboxConfiguration(json: Array(data)) } catch { throw UsageError("--config \(configPath): \(error)") }
    }
    // Blocked before any thread exists, so every thread inherits the mask and
    // the signals wait for sigwait below instead of killing the process.
    // (sigwait also works when a parent spawned us with them blocked already,
    // as posix_spawn from a Dispatch thread does; a handler would not.)
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
    DescriptorLimit.raiseSoftLimit()
    var serving = HTTPServerConfiguration(address: address, maxConnections: 4096, shutdownGracePeriod: .seconds(5))
    // Windows are judged at the instant a request reached the socket, not
    // when this (possibly busy) process got to read it.
    serving.stampsArrivals = true
    let server = HTTPServer(configuration: serving,
                            handler: Sandbox(configuration: configuration).handler)
    let bound = try server.start()
    if !bound.isLoopback { terminal.err("sandbox: listening on \(bound), reachable from other hosts") }
    terminal.out("sandbox listening on \(bound)")
    var received: Int32 = 0
    sigwait(&signals, &received)
    terminal.err("sandbox: \(received == SIGINT ? "SIGINT" : "SIGTERM") received, stopping")
    server.stop()
    return ExitCode.success
}
