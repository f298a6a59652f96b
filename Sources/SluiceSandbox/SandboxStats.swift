import SluiceJSON
/// What the sandbox saw, per endpoint and per limit; `GET /__sandbox/stats`.
struct SandboxStats {
    struct EndpointCounts {
        var requests = 0
        /// Answered with the provider's success status (a replay is not one).
        var successes = 0
        var rateLimited = 0
        var serverErrors = 0
        /// 4xx other than 429: auth and validation failures.
        var clientErrors = 0
        var dropped = 0
        /// Stripe: requests whose Idempotency-Key had been answered before.
        var duplicates = 0

        var json: JSONValue {
            .object([("requests", .integer(requests)), ("successes", .integer(successes)), ("rateLimited", .integer(rateLimited)),
                     ("serverErrors", .integer(serverErrors)), ("clientErrors", .integer(clientErrors)), ("dropped", .integer(dropped)),
                     ("duplicates", .integer(duplicates))])
        }
    }

    var endpoints: [SandboxEndpoint: EndpointCounts] = [:]

    mutating func update(_ endpoint: SandboxEndpoint, _ change: (inout EndpointCounts) -> Void) {
        change(&endpoints[endpoint, default: EndpointCounts()])
    }

    /// Counts an answer by its status.
    mutating func count(_ endpoint: SandboxEndpoint, status: Int, success: Bool) {
        update(endpoint) { counts in
            if success { counts.successes += 1 }
            else if status == 429 { counts.rateLimited += 1 }
            else if status >= 500 { counts.serverErrors += 1 }
            else if status >= 400 { counts.clientErrors += 1 }
        }
    }

    var json: JSONValue {
        .object(SandboxEndpoint.allCases.map { ($0.rawValue, (endpoints[$0] ?? EndpointCounts()).json) })
    }
}
