import Glibc
import Synchronization

/// Names that no other test, process or run can be using at the same time.
public enum UniqueName {
    /// A fleet name like `t-4711-12-9f3a1c`: pid, a per-process counter and random bits.
    public static func fleet(_ label: String = "t") -> String {
        let serial = counter.add(1, ordering: .relaxed).newValue
        return "\(label)-\(getpid())-\(serial)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    private static let counter = Atomic<UInt32>(0)
}
