import Foundation

/// Runs blocking work — a libgit2 fetch, a child process, a synchronous C call — on a thread of
/// its own and suspends the caller until it finishes.
///
/// Swift concurrency's cooperative pool has one thread per core; blocking one of them (two on a
/// small host) stalls every other task, from HTTP retries to lease renewals. Work that blocks for
/// more than a moment belongs here instead.
public func onDedicatedThread<T: Sendable>(_ name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.name = name
        thread.start()
    }
}

/// `onDedicatedThread` for work that cannot fail.
public func onDedicatedThread<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: work())
        }
        thread.name = name
        thread.start()
    }
}
