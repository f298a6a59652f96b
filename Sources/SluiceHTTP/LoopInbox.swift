import Synchronization

/// Messages to the loop from other threads: answers from handlers, and stop.
final class LoopInbox: Sendable {
    enum Message: Sendable {
        case answered(token: UInt64, response: HTTPResponse)
        case stop
    }

    let wake: WakeSignal
    private let messages = Mutex<[Message]>([])

    init(wake: WakeSignal) { self.wake = wake }

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
        wake.signal()
    }

    func take() -> [Message] {
        messages.withLock { messages in
            defer { messages.removeAll(keepingCapacity: true) }
            return messages
        }
    }
}
