import Glibc
import SluiceLimiter
import SluicePOSIX
import SluiceCore

/// Coordinator actors for the multi-process limiter tests. Each prints one
/// line per event on standard output.
let limiterRoles: [String: @Sendable ([String]) -> Int32] = [
    // hold-slots FLEET QUEUE COUNT: take COUNT slots, say so, then wait to be killed.
    "hold-slots": { arguments in
        let queue = attachQueue(arguments)
        let count = Int(arguments[2]) ?? 1
        let slots = (0..<count).compactMap { _ in queue.takeSlot() }
        StandardStream.output.line("held \(slots.count)")
        while true { pause() }
    },
    // probe FLEET QUEUE: one tryAcquire; print its decision.
    "probe": { arguments in
        let queue = attachQueue(arguments)
        StandardStream.output.line(describe(queue.tryAcquire()))
        return 0
    },
    // set-rate FLEET QUEUE RATE BURST: replace the queue's rate.
    "set-rate": { arguments in
        let queue = attachQueue(arguments)
        do {
            let limit = GCRA.Limit(rate: try Rate(parsing: arguments[2]), burst: UInt64(arguments[3]) ?? 1)
            try queue.updateLimits { $0.rate = limit }
        } catch {
            StandardStream.error.line("\(error)")
            return 1
        }
        StandardStream.output.line("generation \(queue.limitsGeneration)")
        return 0
    },
    // claim-keys FLEET QUEUE GO KEY…: at instant GO, tryAcquire each key once, in order.
    "claim-keys": { arguments in
        let queue = attachQueue(arguments)
        MonotonicClock.sleep(until: UInt64(arguments[2]) ?? 0)
        for key in arguments.dropFirst(3) {
            StandardStream.output.line("\(key) \(describe(queue.tryAcquire(key: key)))")
        }
        return 0
    },
]

private func attachQueue(_ arguments: [String]) -> QueueHandle {
    do {
        return try Coordinator.attach(fleet: FleetName(validating: arguments[0])).queue(QueueName(validating: arguments[1]))
    } catch {
        StandardStream.error.line("attach: \(error)")
        exit(3)
    }
}

private func describe(_ reservation: Reservation) -> String {
    switch reservation {
    case .granted: "granted"
    case .denied(let retryAfter): "denied \(retryAfter)"
    case .paused: "paused"
    case .costExceedsBurst: "cost-exceeds-burst"
    case .keyTableFull: "key-table-full"
    case .keyBusy: "key-busy"
    case .awaitingGrant: "awaiting-grant"
    }
}
