#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

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
        let trimmed = value.trimmingWhitespace()
        if let seconds = Int(trimmed) { return seconds >= 0 ? .seconds(seconds) : nil }
        if let date = HTTPDate.parse(trimmed) {
            return .milliseconds(max(0, Int((date.timeIntervalSince(now) * 1000).rounded(.up))))
        }
        return nil
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short positive timeout never becomes "no timeout" (0).
    var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 == 0 ? Int(millis) : Int(millis) + 1
    }
}

/// An HTTP-date (RFC 9110 5.6.7): the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms that
/// recipients must accept. All three are in GMT.
enum HTTPDate {
    static func parse(_ text: String) -> Date? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch fields.count {
        case 6 where fields[0].hasSuffix(",") && fields[5] == "GMT":
            return date(day: fields[1], month: fields[2], year: fields[3], time: fields[4], yearDigits: 4)
        case 4 where fields[0].hasSuffix(",") && fields[3] == "GMT":
            let parts = fields[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { return nil }
            return date(day: parts[0], month: parts[1], year: parts[2], time: fields[2], yearDigits: 2)
        case 5 where !fields[0].hasSuffix(","):
            return date(day: fields[2], month: fields[1], year: fields[4], time: fields[3], yearDigits: 4)
        default:
            return nil
        }
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func date(day: String, month: String, year: String, time: String, yearDigits: Int) -> Date? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(day.count), year.count == yearDigits, clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let day = number(day), var year = number(year), let monthIndex = months.firstIndex(of: month),
              let hour = number(clock[0]), let minute = number(clock[1]), let second = number(clock[2]),
              hour < 24, minute < 60, second < 61 else { return nil }
        // RFC 850's two-digit year as POSIX strptime's %y reads it: 69-99 are 19xx, 00-68 are 20xx.
        if yearDigits == 2 { year += year < 69 ? 2000 : 1900 }
        let month = monthIndex + 1
        guard (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        let seconds = JournalTime.daysFromCivil(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func number(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(text)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
