import CMalloc
import Foundation

/// Hands the memory glibc's allocator holds free back to the system after a round that left much
/// of it resident.
///
/// A full resync of a large fleet allocates and frees a few hundred MB every round, on both cores'
/// threads. glibc keeps freed memory in its arenas for reuse, and returns only what lies at the top
/// of an arena; what the next round's allocations do not fit into stays resident. Measured on
/// 10,000 jobs on 100 clusters (docs/bench-notes-serve.md): the memory in use stayed flat while the
/// resident set crept from 198 to over 270 MiB within minutes. `malloc_trim` gives those free pages
/// back; the next round faults in again the ones it needs, so a trim costs CPU, and is only done
/// when the resident memory not in use passes `threshold`.
public final class HeapTrim: @unchecked Sendable {
    /// Resident memory not in use that a round may leave behind before it is trimmed.
    public static let defaultThreshold = 48 << 20

    /// What the process holds: anonymous resident memory (heap, stacks, allocator free lists),
    /// and what of it the allocator has handed out and not had back.
    public struct Reading: Sendable, Equatable {
        public var residentAnonymous: Int
        public var inUse: Int
        /// Resident but not in use: mostly free memory kept by the allocator.
        public var idle: Int { max(0, residentAnonymous - inUse) }

        public init(residentAnonymous: Int, inUse: Int) {
            self.residentAnonymous = residentAnonymous
            self.inUse = inUse
        }
    }

    public let threshold: Int
    private let lock = NSLock()
    private var trimCount = 0

    public init(threshold: Int = HeapTrim.defaultThreshold) { self.threshold = max(0, threshold) }

    /// Makes the threads started from now on share at most `count` malloc arenas.
    ///
    /// glibc gives threads up to 8 arenas per core. A round's transient trees land in whichever
    /// arenas the threads that build them use, and the values kept between rounds end up spread
    /// over all of them, so each arena keeps pages a later round cannot reuse: with 16 arenas the
    /// resident set of a 10,000-job serve grew from 194 to 464 MiB in 22 minutes while the memory
    /// in use stayed near 100 MiB; with one it stayed flat at 169 MiB, for the same CPU per round.
    @discardableResult
    public static func limitArenas(_ count: Int) -> Bool {
        available && sluice_malloc_limit_arenas(Int32(clamping: max(1, count))) == 1
    }

    /// Whether this C library's allocator can be read and trimmed (glibc 2.33 or later).
    public static var available: Bool { sluice_malloc_available() != 0 }

    /// How many trims were done.
    public var trims: Int { lock.withLock { trimCount } }

    public static func shouldTrim(_ reading: Reading, threshold: Int) -> Bool { reading.idle > threshold }

    /// Trims when the memory left idle passes the threshold; returns the reading after the trim,
    /// or `nil` when nothing was trimmed.
    @discardableResult
    public func afterRound() -> Reading? {
        guard Self.available, let before = Self.read(), Self.shouldTrim(before, threshold: threshold) else { return nil }
        // One trim at a time: a second one would find nothing left to do.
        lock.withLock {
            _ = sluice_malloc_trim()
            trimCount += 1
        }
        return Self.read()
    }

    /// The process's reading now; `nil` where it cannot be read (not Linux with glibc).
    public static func read() -> Reading? {
        guard available, let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        // "RssAnon:	  123456 kB"
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
              let kilobytes = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return Reading(residentAnonymous: kilobytes * 1024, inUse: Int(sluice_malloc_in_use()))
    }
}
