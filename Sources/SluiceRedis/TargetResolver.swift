import Glibc
import SluicePOSIX
import Synchronization

/// Turns an endpoint's address into socket addresses, within a call's budget.
///
/// Literals, `localhost` and Unix paths need no lookup. A host name is looked
/// up with getaddrinfo(3), which blocks for as long as the resolver likes, so
/// it runs on a thread of its own while the caller waits at most its budget;
/// a lookup that outlives one call is picked up by the next (never more than
/// one lookup at a time). The answer is kept until connecting to it fails,
/// so a healthy connection's reconnects do not wait on DNS.
struct TargetResolver {
    let address: RedisEndpoint.Address
    private var known: [SocketTarget] = []
    private var pending: HostLookup?

    init(_ address: RedisEndpoint.Address) {
        self.address = address
    }

    mutating func targets(within budget: CallBudget) throws(RedisFailure) -> [SocketTarget] {
        switch address {
        case .unix(let path):
            return [.unix(path: path)]
        case .tcp(let host, let port):
            if host == "localhost" { return [SocketTarget.literal("127.0.0.1", port: port)].compactMap { $0 } }
            if let literal = SocketTarget.literal(host, port: port) { return [literal] }
            if !known.isEmpty { return known }
            return try lookUp(host, port: port, within: budget)
        }
    }

    /// Connecting to the known addresses failed: look the name up again next time.
    mutating func forget() { known = [] }

    private mutating func lookUp(_ host: String, port: UInt16, within budget: CallBudget) throws(RedisFailure) -> [SocketTarget] {
        let lookup: HostLookup
        if let pending {
            lookup = pending
        } else {
            lookup = try HostLookup.start(host: host, port: port)
            pending = lookup
        }
        guard let outcome = lookup.wait(until: budget.deadline) else { throw budget.timedOut(.resolve) }
        pending = nil
        let targets = try outcome.get()
        known = targets
        return targets
    }
}

/// One getaddrinfo(3) call on a detached thread. The thread stores the
/// answer and writes a byte to a socket pair the caller polls; whichever of
/// the two lets go last closes the pair.
final class HostLookup: Sendable {
    private let outcome = Mutex<Result<[SocketTarget], RedisFailure>?>(nil)
    private let readEnd: Int32
    private let writeEnd: Int32

    private init(readEnd: Int32, writeEnd: Int32) {
        self.readEnd = readEnd
        self.writeEnd = writeEnd
    }

    deinit {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }

    static func start(host: String, port: UInt16) throws(RedisFailure) -> HostLookup {
        var ends: [Int32] = [-1, -1]
        do {
            try syscall("socketpair") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) }
        } catch {
            throw .resolveFailed(host: host, reason: error.description)
        }
        let lookup = HostLookup(readEnd: ends[0], writeEnd: ends[1])
        PosixThread.start {
            let result = Self.resolve(host: host, port: port)
            lookup.outcome.withLock { $0 = result }
            var byte: UInt8 = 1
            _ = send(lookup.writeEnd, &byte, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }.detach()
        return lookup
    }

    /// The answer, waiting for it until `deadline`; nil if it is not there by then.
    func wait(until deadline: UInt64) -> Result<[SocketTarget], RedisFailure>? {
        if let answer = outcome.withLock({ $0 }) { return answer }
        _ = PollWait.until(readEnd, events: Int16(POLLIN), deadline: deadline)
        return outcome.withLock { $0 }
    }

    private static func resolve(host: String, port: UInt16) -> Result<[SocketTarget], RedisFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            return .failure(.resolveFailed(host: host, reason: reason))
        }
        var targets: [SocketTarget] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                let target = SocketTarget.resolved(address, length: current.pointee.ai_addrlen, host: host, port: port)
                if !targets.contains(target) { targets.append(target) }
            }
            entry = current.pointee.ai_next
        }
        guard !targets.isEmpty else { return .failure(.resolveFailed(host: host, reason: "no address")) }
        return .success(targets)
    }
}
