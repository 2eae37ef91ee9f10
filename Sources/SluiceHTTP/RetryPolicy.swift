import Foundation

/// How often and how patiently the client retries a failed request.
///
/// Delays use "full jitter" exponential backoff: before retry *n* the client waits a random time
/// between zero and `min(maxDelay, baseDelay * 2^(n-1))`, which spreads out clients that failed
/// together. A `Retry-After` from the server replaces the random delay, capped at `maxDelay`.
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts, including the first (at least 1 is always made).
    public var maxAttempts: Int
    /// The backoff for the first retry.
    public var baseDelay: Duration
    /// The longest wait between attempts; a larger `Retry-After` is capped at it.
    public var maxDelay: Duration

    /// No retries: a single attempt.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// A policy; the defaults make four attempts within about 2 s of backoff.
    public init(maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(10)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The random wait before retry number `retry` (1 for the first retry).
    func backoff(beforeRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        return ceiling * Double.random(in: 0...1)
    }

    /// The wait the server asked for, capped at `maxDelay`.
    func capped(_ retryAfter: Duration) -> Duration {
        min(max(retryAfter, .zero), maxDelay)
    }
}

/// Parses the `Retry-After` header (RFC 9110 10.2.3): delay seconds or an HTTP-date.
enum RetryAfter {
    /// The wait `value` asks for, measured from `now`; nil when it is neither form.
    static func parse(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) { return seconds >= 0 ? .seconds(seconds) : nil }
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                return .milliseconds(max(0, Int((date.timeIntervalSince(now) * 1000).rounded(.up))))
            }
        }
        return nil
    }

    /// IMF-fixdate, then the obsolete RFC 850 and asctime forms that recipients must accept.
    private static let formats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
}

extension Duration {
    /// Whole milliseconds, rounded up so a short positive timeout never becomes "no timeout" (0).
    var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 == 0 ? Int(millis) : Int(millis) + 1
    }
}
