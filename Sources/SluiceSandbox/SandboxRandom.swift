/// SplitMix64: a small, seeded generator, so a sandbox run with a given seed
/// answers with the same identifiers and rolls the same fault dice.
struct SandboxRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// True with probability `ratio` (never for 0, always for 1).
    mutating func chance(_ ratio: Double) -> Bool { ratio > 0 && unit() < ratio }

    /// `count` characters from `alphabet`.
    mutating func string(_ count: Int, from alphabet: String = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters[Int(next() % UInt64(characters.count))] })
    }

    /// Identifiers shaped like the providers'.
    mutating func id(_ prefix: String, _ count: Int) -> String { prefix + string(count) }
    mutating func hexID(_ prefix: String, _ count: Int) -> String { prefix + string(count, from: "0123456789abcdef") }
}
