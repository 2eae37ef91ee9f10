import Foundation

/// Counts a cluster's transport failures in a row during one sync; past the threshold the
/// cluster is treated as unreachable and its remaining actions are not attempted (each would
/// otherwise wait out its own retries against a server that is gone).
final class TransportBreaker: @unchecked Sendable {
    private let lock = NSLock()
    private let threshold: Int
    private var consecutive = 0
    private var lastFailure = ""
    private var tripped: String?

    init(threshold: Int) { self.threshold = max(1, threshold) }

    private var skippedCount = 0

    var trippedReason: String? { lock.withLock { tripped } }
    var skipped: Int { lock.withLock { skippedCount } }

    /// The reason when tripped, counting the action it turns away; nil while the cluster answers.
    func skip() -> String? {
        lock.withLock {
            if tripped != nil { skippedCount += 1 }
            return tripped
        }
    }

    func record(_ result: ActionResult) {
        lock.withLock {
            guard tripped == nil else { return }
            guard result.unreachable else {
                consecutive = 0
                return
            }
            consecutive += 1
            lastFailure = result.message
            if consecutive >= threshold {
                tripped = "\(consecutive) transport failures in a row, the cluster stopped answering (last: \(lastFailure))"
            }
        }
    }
}
