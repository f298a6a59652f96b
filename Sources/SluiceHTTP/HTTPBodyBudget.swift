/// The bytes of request bodies one server holds at once, across all its
/// connections: a request's declared length is reserved when its head is
/// admitted, before any of its body is read, and given back when it is
/// answered or its connection ends. A request that does not fit is answered
/// 503 with `Retry-After` without reading its body.
///
/// Why a budget across connections: a per-request limit (`maxBodyBytes`)
/// alone lets N clients make the server hold N of them (100 × 8 MiB took it
/// from 38 MB to 863 MB).
///
/// Confined to the event-loop thread (hence no lock, and `@unchecked`: the
/// policies that carry it are built on the caller's thread, used on the loop).
final class HTTPBodyBudget: @unchecked Sendable {
    let capacity: Int
    private(set) var used = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Takes `bytes` if they fit; false (nothing taken) if not.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes <= capacity - used else { return false }
        used += bytes
        return true
    }

    /// Gives back `bytes` taken by `reserve`.
    func release(_ bytes: Int) {
        used = max(0, used - bytes)
    }
}
