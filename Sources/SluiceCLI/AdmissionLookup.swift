import SluiceJSON
import SluicePOSIX
import SluiceProviders

/// Asks the running fleet for a queue's rules (`GET /v1/queues/{queue}/admission`).
enum AdmissionLookup {
    /// The longest `sluice enqueue` waits for the fleet's answer.
    static let bound: UInt64 = 2_000_000_000

    /// The rules, or nil: no fleet runs (tasks go unchecked, as before one
    /// ran), or it did not answer in time or usably (a note says so).
    static func fromFleet(_ connection: FleetConnection, queue: String, terminal: Terminal) -> AdmissionRules? {
        guard var client = connection.client else { return nil }
        client.deadline = MonotonicClock.now() + bound
        let unchecked = "the tasks are written unchecked (a worker dead-letters what its provider cannot send); give --config to check them here"
        do {
            let response = try client.send("GET", "/v1/queues/\(queue)/admission")
            guard response.status == 200 else {
                let hint = response.status == 401 ? " (set SLUICE_ADMIN_TOKEN)" : ""
                terminal.err("sluice enqueue: note: the fleet answered \(response.status) for queue \"\(queue)\"'s rules: \(response.message)\(hint); \(unchecked)")
                return nil
            }
            guard let json = try? JSONParser.parse(response.body), let rules = AdmissionRules(json: json) else {
                terminal.err("sluice enqueue: note: the fleet's rules for queue \"\(queue)\" could not be read; \(unchecked)")
                return nil
            }
            return rules
        } catch {
            if case .notRunning = error, !connection.explicit { return nil }
            terminal.err("sluice enqueue: note: the fleet did not give queue \"\(queue)\"'s rules within 2 s (\(error)); \(unchecked)")
            return nil
        }
    }
}
