import Foundation
import SluiceJSON
import SluiceLimiter
import SluiceCore
import SluiceSpool

extension QueueConfig {
    /// Decodes one queue; every error names the field's path.
    static func parse(name: String, _ value: JSONValue, path: String) throws(ConfigError) -> QueueConfig {
        let queueName: QueueName
        do { queueName = try QueueName(validating: name) } catch { throw ConfigError(path, "\(error)") }
        var reader = try ObjectReader(value, path: path)
        let providerText = try reader.requiredString("provider")
        guard let provider = ProviderKind(rawValue: providerText) else {
            let known = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(reader.field("provider"), "\"\(providerText)\" is not a provider; use one of \(known)")
        }
        guard let rate = try reader.rate("rate") else { throw ConfigError(reader.field("rate"), "is required, e.g. \"100/s\" or \"6000/min\"") }
        let baseURL = try parseBaseURL(&reader, provider: provider)
        var queue = QueueConfig(name: queueName, provider: provider, baseURL: baseURL, rate: rate)
        queue.burst = UInt64(try reader.integer("burst", in: 1...1_000_000) ?? 1)
        queue.perWorkerRate = try reader.rate("perWorkerRate")
        queue.perWorkerBurst = UInt64(try reader.integer("perWorkerBurst", in: 1...1_000_000) ?? 1)
        queue.maxConcurrentPerWorker = try reader.integer("maxConcurrentPerWorker", in: 1...1024) ?? 4
        queue.maxConcurrent = try reader.integer("maxConcurrent", in: 0...SegmentLayout.default.slotCapacity) ?? 0
        queue.processes = try reader.integer("processes", in: 1...64) ?? 1
        if var retry = try reader.object("retry") {
            queue.retry = try RetryPolicy.parse(&retry)
        }
        queue.requestTimeout = try reader.duration("requestTimeout", atLeast: 1_000_000) ?? queue.requestTimeout
        queue.firstByteTimeout = try reader.duration("firstByteTimeout", atLeast: 1_000_000)
        if let firstByte = queue.firstByteTimeout, firstByte > queue.requestTimeout {
            throw ConfigError(reader.field("firstByteTimeout"), "\(DurationText.seconds(firstByte)) is longer than requestTimeout (\(DurationText.seconds(queue.requestTimeout))): the request would time out first; shorten it or drop it")
        }
        queue.maxResponseBytes = try reader.integer("maxResponseBytes", in: 1024...(1 << 30)) ?? queue.maxResponseBytes
        queue.resultHeaders = try ResultHeaders.parse(&reader) ?? queue.resultHeaders
        queue.resultMaxBytes = try reader.integer("resultMaxBytes", in: 0...TaskResult.maximumBodyBytes) ?? queue.resultMaxBytes
        queue.resultRetention = try reader.duration("resultRetention")
        let credential = try reader.string("credential") ?? provider.defaultCredential
        queue.credential = try credential.map { (name: String) throws(ConfigError) -> CredentialSource in
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ConfigError(reader.field("credential"), "\"\(name)\" is not an environment variable name")
            }
            return CredentialSource(name: name)
        }
        queue.perKey = try parsePerKey(&reader, provider: provider)
        queue.weighted = try parseWeighted(&reader)
        queue.accountSID = try reader.string("accountSid")
        if provider == .twilio, queue.accountSID == nil {
            throw ConfigError(reader.field("accountSid"), "is required for twilio (the AC… account SID in the Messages URL)")
        }
        if provider != .twilio, queue.accountSID != nil {
            throw ConfigError(reader.field("accountSid"), "applies only to the twilio provider")
        }
        queue.budgetHeaders = try parseBudgetHeaders(&reader, provider: provider)
        try reader.finish()
        return queue
    }

    /// The base URL: http or https, a host, no query; a trailing `/` is dropped.
    private static func parseBaseURL(_ reader: inout ObjectReader, provider: ProviderKind) throws(ConfigError) -> String {
        guard let text = try reader.string("baseURL") ?? provider.defaultBaseURL else {
            throw ConfigError(reader.field("baseURL"), "is required for the http provider, e.g. \"https://api.example.com\"")
        }
        let schemeEnd = text.range(of: "://")
        let scheme = schemeEnd.map { String(text[..<$0.lowerBound]) }
        let afterScheme = schemeEnd.map { text[$0.upperBound...] } ?? ""
        let host = afterScheme.prefix { $0 != "/" && $0 != ":" }
        guard scheme == "http" || scheme == "https", !host.isEmpty, !text.contains("?"), !text.contains("#"),
              !afterScheme.contains("@"), text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ConfigError(reader.field("baseURL"), "\"\(text)\" is not a base URL; write e.g. \"https://api.example.com\" (http or https, a host, no query)")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// `budgetHeaders`: header names (letters, digits and `-`), `remaining`
    /// required, and how the reset is written.
    private static func parseBudgetHeaders(_ reader: inout ObjectReader, provider: ProviderKind) throws(ConfigError) -> BudgetHeaders? {
        guard var headers = try reader.object("budgetHeaders") else { return nil }
        guard provider == .http else {
            throw ConfigError(reader.field("budgetHeaders"), "applies only to the http provider; \(provider.rawValue) answers are read with its own headers")
        }
        func name(_ key: String) throws(ConfigError) -> String? {
            guard let text = try headers.string(key) else { return nil }
            let bytes = text.utf8
            guard !bytes.isEmpty, bytes.count <= 256, bytes.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }) else {
                throw ConfigError(headers.field(key), "\"\(text)\" is not a header name; write e.g. \"X-RateLimit-Remaining\" (letters, digits and \"-\")")
            }
            return text
        }
        guard let remaining = try name("remaining") else {
            throw ConfigError(headers.field("remaining"), "is required: the header that says how many requests are left, e.g. \"X-RateLimit-Remaining\"")
        }
        let limit = try name("limit")
        let reset = try name("reset")
        var format = BudgetHeaders.ResetFormat.seconds
        if let text = try headers.string("resetFormat") {
            guard let parsed = BudgetHeaders.ResetFormat(rawValue: text) else {
                let known = BudgetHeaders.ResetFormat.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw ConfigError(headers.field("resetFormat"), "\"\(text)\" is not a reset format; use one of \(known)")
            }
            guard reset != nil else { throw ConfigError(headers.field("resetFormat"), "needs \"reset\", the header it describes") }
            format = parsed
        }
        try headers.finish()
        return BudgetHeaders(remaining: remaining, limit: limit, reset: reset, resetFormat: format)
    }

    private static func parsePerKey(_ reader: inout ObjectReader, provider: ProviderKind) throws(ConfigError) -> PerKeyLimit? {
        guard var perKey = try reader.object("perKey") else { return nil }
        let field = try perKey.string("field") ?? (provider == .twilio ? "From" : "key")
        guard let rate = try perKey.rate("rate") else { throw ConfigError(perKey.field("rate"), "is required, e.g. \"1/s\"") }
        let burst = UInt64(try perKey.integer("burst", in: 1...1_000_000) ?? 1)
        try perKey.finish()
        return PerKeyLimit(field: field, rate: rate, burst: burst)
    }

    private static func parseWeighted(_ reader: inout ObjectReader) throws(ConfigError) -> [WeightedLimit] {
        guard let elements = try reader.array("weighted") else { return [] }
        guard elements.count <= SegmentLayout.weightedCapacity else {
            throw ConfigError(reader.field("weighted"), "has \(elements.count) limits; a queue has at most \(SegmentLayout.weightedCapacity)")
        }
        return try elements.enumerated().map { (index, element) throws(ConfigError) -> WeightedLimit in
            var limit = try ObjectReader(element, path: "\(reader.field("weighted"))[\(index)]")
            let name = try limit.requiredString("name")
            guard let rate = try limit.rate("rate") else { throw ConfigError(limit.field("rate"), "is required, e.g. \"90000/min\"") }
            let burst = UInt64(try limit.integer("burst", in: 1...1_000_000_000) ?? 1)
            try limit.finish()
            return WeightedLimit(name: name, rate: rate, burst: burst)
        }
    }
}

extension RetryPolicy {
    static func parse(_ reader: inout ObjectReader) throws(ConfigError) -> RetryPolicy {
        var policy = RetryPolicy()
        policy.initialInterval = try reader.duration("initialInterval", atLeast: 1_000_000) ?? policy.initialInterval
        policy.backoffCoefficient = try reader.decimal("backoffCoefficient", in: 1...100) ?? policy.backoffCoefficient
        policy.maximumInterval = try reader.duration("maximumInterval", atLeast: 1_000_000) ?? policy.maximumInterval
        policy.maximumAttempts = try reader.integer("maximumAttempts", in: 1...1000) ?? policy.maximumAttempts
        policy.jitter = try reader.decimal("jitter", in: 0...1) ?? policy.jitter
        guard policy.maximumInterval >= policy.initialInterval else {
            throw ConfigError(reader.field("maximumInterval"), "is shorter than initialInterval")
        }
        try reader.finish()
        return policy
    }
}
