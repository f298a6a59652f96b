import Synchronization

extension UnsafeMutableRawPointer {
    /// The 64-bit atomic word at `offset`. Requires: 8-byte aligned, inside the mapping.
    @inline(__always)
    func atomicWord(at offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (self + offset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// The 128-bit atomic pair at `offset`. Requires: 16-byte aligned, inside the mapping.
    ///
    /// On x86-64 this compiles to `lock cmpxchg16b`, a real lock-free
    /// instruction on the shared memory (checked in the emitted assembly),
    /// never libatomic's process-local lock table.
    @inline(__always)
    func atomicPair(at offset: Int) -> UnsafeMutablePointer<Atomic<WordPair>> {
        (self + offset).assumingMemoryBound(to: Atomic<WordPair>.self)
    }
}
