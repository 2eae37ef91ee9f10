#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

extension Array where Element: Sendable {
    /// `map` over all cores, results in input order. For CPU-bound, independent work only: the
    /// transform runs on Dispatch's worker threads and must not block on I/O.
    /// The first error thrown (by input order) is rethrown after all work has finished.
    public func concurrentMap<T: Sendable, E: Error>(_ transform: @Sendable (Element) throws(E) -> T) throws(E) -> [T] {
        guard count > 1 else { return try map(transform) }
        let slots = ResultSlots<T, E>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { offset in
            slots.store(Result { () throws(E) -> T in try transform(self[offset]) }, at: offset)
        }
        return try slots.values()
    }
}

/// One slot per input; each slot is written by exactly one iteration.
private final class ResultSlots<T: Sendable, E: Error>: @unchecked Sendable {
    private let results: Mutex<[Result<T, E>?]>

    init(count: Int) { results = Mutex(Array(repeating: nil, count: count)) }

    func store(_ result: Result<T, E>, at index: Int) {
        results.withLock { $0[index] = result }
    }

    func values() throws(E) -> [T] {
        let results = self.results.withLock { $0 }
        var values: [T] = []
        values.reserveCapacity(results.count)
        for result in results { values.append(try result!.get()) }
        return values
    }
}

extension Array where Element: Sendable {
    /// `map` with up to `limit` transforms in flight at once (for I/O: requests to one server),
    /// results in input order. The first error thrown cancels the rest and is rethrown.
    public func concurrentMap<T: Sendable>(limit: Int, _ transform: @escaping @Sendable (Element) async throws -> T) async throws -> [T] {
        guard count > 1, limit > 1 else {
            var results: [T] = []
            results.reserveCapacity(count)
            for element in self { results.append(try await transform(element)) }
            return results
        }
        return try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            func start() {
                let index = next
                let element = self[index]
                group.addTask { (index, try await transform(element)) }
                next += 1
            }
            while next < Swift.min(limit, count) { start() }
            while let (index, value) = try await group.next() {
                results[index] = value
                if next < count { start() }
            }
            return results.map { $0! }
        }
    }
}
