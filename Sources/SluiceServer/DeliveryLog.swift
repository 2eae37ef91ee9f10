import Foundation

/// The webhook deliveries seen recently, by the forge's delivery id, so a replayed (or
/// redelivered) delivery never starts a second round.
///
/// Bounded in count and in time: an id is remembered for `window`, and at most `capacity` ids are
/// kept (the oldest go first). Only deliveries whose signature verified are recorded, so an
/// unsigned request cannot fill the log.
public final class DeliveryLog: @unchecked Sendable {
    public static let defaultCapacity = 10_000
    public static let defaultWindow: Duration = .seconds(24 * 3600)
    /// Longer ids are refused: every forge's id is a UUID or a short number.
    public static let maxIDLength = 128

    public let capacity: Int
    public let window: Duration
    private let lock = NSLock()
    private var seen: [String: ContinuousClock.Instant] = [:]
    private var order: [(key: String, at: ContinuousClock.Instant)] = []
    private var head = 0

    public init(capacity: Int = DeliveryLog.defaultCapacity, window: Duration = DeliveryLog.defaultWindow) {
        self.capacity = max(capacity, 1)
        self.window = window
    }

    /// Records `id` from `source`; `false` when it was already seen within the window (a replay).
    public func firstSighting(of id: String, from source: String, at now: ContinuousClock.Instant = .now) -> Bool {
        let key = "\(source)\u{0}\(id)"
        return lock.withLock {
            expire(now)
            if let when = seen[key], now - when < window { return false }
            seen[key] = now
            order.append((key, now))
            while seen.count > capacity, head < order.count {
                let oldest = order[head]
                head += 1
                if seen[oldest.key] == oldest.at { seen[oldest.key] = nil }
            }
            compact()
            return true
        }
    }

    /// How many ids are remembered now.
    public var count: Int { lock.withLock { seen.count } }

    private func expire(_ now: ContinuousClock.Instant) {
        while head < order.count, now - order[head].at >= window {
            let oldest = order[head]
            head += 1
            if seen[oldest.key] == oldest.at { seen[oldest.key] = nil }
        }
    }

    private func compact() {
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
