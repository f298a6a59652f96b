import Glibc
import SluicePOSIX

/// A child process for the multi-process tests: `sluice-test-child <role> [args…]`.
///
/// Each role is a small, scripted actor on the coordinator or the spool; it
/// reports what it did on standard output, one line per event, so a test can
/// check the order of events across processes.
let roles: [String: @Sendable ([String]) -> Int32] = limiterRoles.merging(spoolRoles) { first, _ in first }

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let role = roles[name] else {
    StandardStream.error.line("usage: sluice-test-child <\(roles.keys.sorted().joined(separator: "|"))> [args…]")
    exit(2)
}
exit(role(Array(arguments.dropFirst())))
