/// Coordinator actors for the multi-process limiter tests.
let limiterRoles: [String: @Sendable ([String]) -> Int32] = [:]
