import Foundation

/// How long a fuzz test runs. By default a fixed count from a fixed seed: a short, reproducible run
/// that is part of `make test`. `make fuzz` sets `SLUICE_FUZZ_SECONDS` (run that long from a random
/// seed) and optionally `SLUICE_FUZZ_SEED` (replay a run); each fuzz test prints its seed first.
public struct FuzzPlan {
    public let seed: UInt64
    let count: Int?
    let deadline: ContinuousClock.Instant?

    public init(defaultSeed: UInt64, defaultCount: Int) {
        let environment = ProcessInfo.processInfo.environment
        let seconds = environment["SLUICE_FUZZ_SECONDS"].flatMap { Int($0) }
        let givenSeed = environment["SLUICE_FUZZ_SEED"].flatMap { UInt64($0) }
        if let seconds, seconds > 0 {
            seed = givenSeed ?? UInt64.random(in: 1...UInt64.max)
            count = nil
            deadline = .now + .seconds(seconds)
        } else {
            seed = givenSeed ?? defaultSeed
            count = defaultCount
            deadline = nil
        }
    }

    public func shouldContinue(after done: Int) -> Bool {
        if let count { return done < count }
        return ContinuousClock.now < deadline!
    }
}

/// SplitMix64: small, fast and reproducible from its seed.
public struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

