#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import Synchronization

/// The stacks one parse works on, kept for the next parse. Each parse used to allocate
/// three stacks (six heap blocks) and an array of frames, and free them again: for a spec file of 90 events that was a
/// fifth of the parser's own allocations. Parses take a set from a small process-wide pool and
/// give it back empty; a set that grew past `maxKeptCapacity` is freed instead of kept, so a
/// huge document does not pin its stacks' memory for the life of the process.
///
/// A set belongs to one parse at a time: the pool hands it over under its lock, hence
/// `@unchecked Sendable`.
final class ParseScratch: @unchecked Sendable {
    let items = ChildStack<Value>()
    let entries = ChildStack<Mapping.Entry>()
    /// `KeyFingerprint` of each key in `entries`, at the same index.
    let fingerprints = ChildStack<UInt64>()
    /// The maps and lists being read, outermost first. Spec files nest 4 to 6 levels.
    let frames = ChildStack<YAMLTreeBuilder.Frame>(capacity: 8)
    /// The key interner of parses whose caller passes none: a parse reads the same long keys and
    /// values as the parses before it (the next spec file, the next resync), which then share
    /// one storage instead of each allocating and freeing its own. Bounded by `keysKept` keys
    /// of at most `KeyInterner.longestStored` bytes each. Its full tables are emptied when the
    /// set comes back, so that keys read early (a fuzzer's, a hostile file's) cannot keep later
    /// parses from sharing theirs.
    let keys = KeyInterner(capacity: keysKept)

    static let keysKept = 4096

    /// Stacks larger than this many elements are not kept.
    static let maxKeptCapacity = 4096
    /// Sets kept at most: one per thread parsing at once is enough.
    static let maxPooled = 16

    private static let pool = Mutex<[ParseScratch]>([])

    /// A set of empty stacks, from the pool when one is there.
    static func take() -> ParseScratch {
        pool.withLock { $0.popLast() } ?? ParseScratch()
    }

    /// Empties `scratch` and keeps it for a later parse, unless it grew too large or the pool is full.
    static func giveBack(_ scratch: ParseScratch) {
        scratch.items.truncate(to: 0)
        scratch.entries.truncate(to: 0)
        scratch.fingerprints.truncate(to: 0)
        scratch.frames.truncate(to: 0)
        scratch.keys.forgetFullTables()
        guard scratch.items.capacity <= maxKeptCapacity, scratch.entries.capacity <= maxKeptCapacity,
              scratch.fingerprints.capacity <= maxKeptCapacity, scratch.frames.capacity <= maxKeptCapacity
        else { return }
        pool.withLock { pool in
            if pool.count < maxPooled { pool.append(scratch) }
        }
    }

    /// How many sets the pool holds now (for tests).
    static var pooledCount: Int { pool.withLock { $0.count } }

    /// The largest stack capacity of each pooled set (for tests).
    static var keptCapacities: [Int] {
        pool.withLock { $0.map { Swift.max($0.items.capacity, $0.entries.capacity, $0.fingerprints.capacity, $0.frames.capacity) } }
    }
}
