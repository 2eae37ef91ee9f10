import Foundation

/// The server-sent events of `GET /api/v1/events`: fans each event out to every open stream.
///
/// Bounded: at most `maxSubscribers` streams, and each holds at most `queueLimit` events it has
/// not yet written. A stream that falls that far behind (its client does not read) is ended
/// rather than buffered for; the connection guard then closes a connection whose writes stall.
final class StatusEvents: @unchecked Sendable {
    struct Event: Sendable, Equatable {
        /// The event name; nil for a comment line (the heartbeat).
        var name: String?
        var data: String

        /// The event in the `text/event-stream` format; `data` is one line (compact JSON).
        var wireFormat: String {
            guard let name else { return ": \(data)\n\n" }
            return "event: \(name)\ndata: \(data)\n\n"
        }
    }

    static let defaultMaxSubscribers = 64
    static let queueLimit = 8
    let maxSubscribers: Int
    private let lock = NSLock()
    private var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
    private var nextID = 0
    /// Streams ended because their client fell behind, since the start.
    private(set) var dropped = 0

    init(maxSubscribers: Int = StatusEvents.defaultMaxSubscribers) {
        self.maxSubscribers = maxSubscribers
    }

    /// A new stream, or nil when `maxSubscribers` are open.
    func subscribe() -> (id: Int, events: AsyncStream<Event>)? {
        lock.withLock {
            guard subscribers.count < maxSubscribers else { return nil }
            nextID += 1
            let id = nextID
            let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingOldest(Self.queueLimit))
            subscribers[id] = continuation
            return (id, stream)
        }
    }

    func unsubscribe(_ id: Int) {
        lock.withLock { subscribers.removeValue(forKey: id) }?.finish()
    }

    var subscriberCount: Int { lock.withLock { subscribers.count } }

    /// Sends `event` to every stream; a stream whose queue is full is ended.
    func publish(_ event: Event) {
        let behind: [AsyncStream<Event>.Continuation] = lock.withLock {
            var behind: [AsyncStream<Event>.Continuation] = []
            for (id, continuation) in subscribers {
                if case .dropped = continuation.yield(event) {
                    subscribers.removeValue(forKey: id)
                    behind.append(continuation)
                    dropped += 1
                }
            }
            return behind
        }
        for continuation in behind { continuation.finish() }
    }

    /// Ends every stream (the service is stopping).
    func finishAll() {
        let all = lock.withLock {
            let all = Array(subscribers.values)
            subscribers = [:]
            return all
        }
        for continuation in all { continuation.finish() }
    }
}
