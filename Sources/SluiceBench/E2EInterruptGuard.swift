import Dispatch
import Glibc
import SluicePOSIX
import Synchronization

/// While armed, SIGINT or SIGTERM tears down the scratch being guarded
/// (children reaped, segment and directory removed) and then exits with
/// 128 + the signal, so Ctrl-C never leaves a sandbox or a fleet behind.
///
/// The signals are ignored by default disposition while armed (Dispatch
/// reads them); children get default dispositions back from
/// `ChildProcess.spawn`, so a terminal's Ctrl-C still reaches them too.
///
/// `@unchecked Sendable`: `sources` is set once in `init` and Dispatch
/// sources are safe to cancel from any thread; `current` is behind a lock.
final class E2EInterruptGuard: @unchecked Sendable {
    private let current = Mutex<E2EScratch?>(nil)
    private var sources: [any DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "sluice.bench.e2e.signals")
        var made: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in
                let scratch = current.withLock { $0 }
                StandardStream.error.line("bench e2e: signal \(signalNumber): stopping and cleaning up")
                scratch?.tearDown(grace: 13_000_000_000)
                exit(128 + signalNumber)
            }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    /// Makes `scratch` the one to tear down on a signal (nil: none).
    func guarding(_ scratch: E2EScratch?) { current.withLock { $0 = scratch } }

    /// Stops handling the signals and restores their default dispositions.
    func disarm() {
        sources.forEach { $0.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

