import Foundation

/// Asks a running sync to stop at its next safe point: before an action starts, between waves,
/// or while a health gate waits. An action that has started always finishes, so a job is never
/// left between stop-with-savepoint and submit (and each of those steps is journalled before it
/// is taken, so the next start resumes from the journal either way).
public final class SyncInterrupt: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: String?

    public init() {}

    /// Asks the sync to stop; the first reason is kept.
    public func request(_ reason: String) {
        lock.withLock { if self.reason == nil { self.reason = reason } }
    }

    /// Why the sync was asked to stop, once it was.
    public var requested: String? { lock.withLock { reason } }
}
