/// Spool actors for the multi-process spool tests (owned by the spool work).
let spoolRoles: [String: @Sendable ([String]) -> Int32] = [:]
