import Foundation
import SluicePolicy
import SluiceSpec

/// What a long-running service already loaded, rendered and compiled for its latest commits, so
/// that a resync of an unchanged commit (and the baseline a new commit is compared with) does not
/// parse, validate and render the whole repository again.
///
/// Keyed by commit id, whose tree never changes; only trees read from a Git commit may be cached
/// (a working tree on disk changes under the same name). The entries are the ones the plan holds
/// anyway while it runs, so keeping them between rounds costs no more than one round's peak.
public final class LoadedRevisions: @unchecked Sendable {
    /// One revision, ready to plan.
    public struct Loaded: Sendable {
        public var specs: SpecSet
        /// Every selected cluster's desired state, before a baseline narrows it.
        public var state: DesiredState
        public var engine: PolicyEngine
    }

    private let lock = NSLock()
    private var entries: [(revision: String, loaded: Loaded)] = []
    /// The revision running and the one before it (a new commit's baseline).
    private let capacity: Int
    /// How many lookups were answered from memory (for tests and the log).
    public private(set) var hits = 0

    public init(capacity: Int = 2) { self.capacity = max(capacity, 1) }

    /// The entry of `revision`, made by `make` (and kept) when it is not held; it becomes the newest.
    public func loaded(_ revision: String, _ make: () throws -> Loaded) rethrows -> Loaded {
        let held: Loaded? = lock.withLock {
            guard let index = entries.firstIndex(where: { $0.revision == revision }) else { return nil }
            let entry = entries.remove(at: index)
            entries.append(entry)
            hits += 1
            return entry.loaded
        }
        if let held { return held }
        // Made outside the lock: a load takes a while and touches nothing shared.
        let made = try make()
        lock.withLock {
            entries.removeAll { $0.revision == revision }
            entries.append((revision, made))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
        return made
    }

    /// The entry of `revision` if it is held (a baseline: read, not made the newest).
    public func lookup(_ revision: String) -> Loaded? {
        lock.withLock {
            guard let entry = entries.first(where: { $0.revision == revision }) else { return nil }
            hits += 1
            return entry.loaded
        }
    }

    /// The revisions held, oldest first.
    public var revisions: [String] { lock.withLock { entries.map(\.revision) } }
}
