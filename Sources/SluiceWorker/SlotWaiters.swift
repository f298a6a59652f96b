import Synchronization

/// A worker's attempts waiting for a fleet-wide concurrency slot. One of
/// them looks at the slot table (every 1 ms, backing off to 50 ms while
/// none frees); the others wait their turn. So waiting costs one look per
/// worker, not one per attempt: 32 attempts polling every 2 ms took half a core.
///
/// A slot seen free wakes one waiter, which then books an instant and tries
/// to take it (another process may take it first: it waits again).
final class SlotWaiters: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var polling = false
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    static let firstLook: UInt64 = 1_000_000
    /// The longest pause between two looks.
    private let longestLook: UInt64
    /// Whether a look that finds room wakes every waiter (they then race for
    /// it, and the losers wait again) rather than one.
    private let wakesAll: Bool

    init(longestLook: UInt64 = 50_000_000, wakesAll: Bool = false) {
        self.longestLook = longestLook
        self.wakesAll = wakesAll
    }

    /// Returns once `isFree()` said yes for this waiter's turn, or at once if cancelled.
    func wait(until isFree: @escaping @Sendable () -> Bool) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let startPolling = state.withLock { state -> Bool in
                    state.waiting.append(Waiter(id: id, continuation: continuation))
                    guard !state.polling else { return false }
                    state.polling = true
                    return true
                }
                if startPolling { Task { await poll(isFree) } }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            cancelled?.continuation.resume()
        }
    }

    private func poll(_ isFree: @Sendable () -> Bool) async {
        var pause = Self.firstLook
        while true {
            if isFree() {
                let woken = state.withLock { state -> [Waiter] in
                    guard !state.waiting.isEmpty else { return [] }
                    guard wakesAll else { return [state.waiting.removeFirst()] }
                    defer { state.waiting = [] }
                    return state.waiting
                }
                for waiter in woken { waiter.continuation.resume() }
                pause = Self.firstLook
            } else {
                pause = min(pause * 2, longestLook)
            }
            let done = state.withLock { state -> Bool in
                if state.waiting.isEmpty { state.polling = false }
                return !state.polling
            }
            if done { return }
            try? await Task.sleep(nanoseconds: pause)
        }
    }
}
