import Glibc
import SluicePOSIX

/// Spawns helper executables built alongside the tests, and watches them.
public enum ChildProcessRunner {
    /// The directory holding the built products (`sluice`, `sluice-test-child`).
    ///
    /// `swift test` runs the test bundle from the products directory; the
    /// `SLUICE_PRODUCTS` environment variable overrides it.
    public static func productsDirectory() -> String {
        if let override = getenv("SLUICE_PRODUCTS") { return String(cString: override) }
        let executable = (try? CurrentProcess.executablePath()) ?? CommandLine.arguments[0]
        var parts = executable.split(separator: "/", omittingEmptySubsequences: false)
        // …/debug/sluicePackageTests.xctest → …/debug
        while let last = parts.last, !last.hasSuffix(".xctest"), parts.count > 1 { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }

    /// The path of a built product, e.g. `product("sluice-test-child")`.
    public static func product(_ name: String) -> String { "\(productsDirectory())/\(name)" }

    /// Runs a command to completion; returns its exit status (nil if it could not start).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) -> ExitStatus? {
        guard let child = try? ChildProcess.spawn(executable: executable, arguments: arguments) else { return nil }
        return try? child.waitForExit()
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass.
    /// Returns whether it held. For waiting on another process, never for timing.
    public static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

/// Reads a whole small file as UTF-8 (nil if it cannot be read).
public func readTextFile(_ path: String) -> String? {
    (try? FileContents.read(path)).map { String(decoding: $0, as: UTF8.self) }
}
