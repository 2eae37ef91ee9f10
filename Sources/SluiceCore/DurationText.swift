/// Durations as Kubernetes tools and Go's `time.ParseDuration` write them: `30s`, `5m`, `1h30m`,
/// `250ms`, `1.5h`; a plain number is seconds (what Sluice's flags took before). The one parser
/// for durations on the command line.
public enum DurationText {
    /// Why a duration did not parse; the message quotes the text and shows the accepted forms.
    public struct Invalid: SluiceError, Hashable {
        public var message: String
        public var hint: String? { "write a duration such as 30s, 5m, 1h or 1h30m (units: ms, s, m, h; a plain number is seconds)" }
    }

    private static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// The longest text accepted; no duration needs more.
    public static let maxLength = 64

    public static func parse(_ text: String) throws -> Duration {
        let trimmed = text.trimmingCharactersInWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= maxLength else {
            throw Invalid(message: trimmed.isEmpty ? "an empty duration" : "a duration of more than \(maxLength) characters")
        }
        if let seconds = Double(trimmed), seconds.isFinite, !trimmed.contains(where: { $0.isLetter }) {
            guard seconds >= 0 else { throw Invalid(message: "\"\(trimmed)\" is negative") }
            return try make(nanoseconds: seconds * 1e9, text: trimmed)
        }
        var rest = Substring(trimmed)
        if rest.first == "-" { throw Invalid(message: "\"\(trimmed)\" is negative") }
        if rest.first == "+" { rest = rest.dropFirst() }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else {
                throw Invalid(message: "\"\(trimmed)\" is not a duration")
            }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.suffix == unitText }) else {
                throw Invalid(message: unitText.isEmpty ? "\"\(trimmed)\" needs a unit after \(number)"
                                                        : "\"\(trimmed)\" has an unknown unit \"\(unitText)\"")
            }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.nanoseconds
        }
        return try make(nanoseconds: total, text: trimmed)
    }

    private static func make(nanoseconds: Double, text: String) throws -> Duration {
        // Ten years is far beyond any timeout or interval and keeps the arithmetic exact.
        guard nanoseconds.isFinite, nanoseconds <= 315_360_000e9 else { throw Invalid(message: "\"\(text)\" is too long a duration") }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }

    /// `1h30m`, `45s`, `250ms`: the shortest form `parse` reads back to the same value (to the millisecond).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 1000 != 0 && milliseconds < 1000 { return "\(milliseconds)ms" }
        var text = ""
        var rest = milliseconds
        if rest >= 3_600_000 { text += "\(rest / 3_600_000)h"; rest %= 3_600_000 }
        if rest >= 60_000 { text += "\(rest / 60_000)m"; rest %= 60_000 }
        if rest > 0 {
            text += rest % 1000 == 0 ? "\(rest / 1000)s" : "\(rest / 1000).\(String(rest % 1000 + 1000).dropFirst())s"
        }
        return text
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for messages, metrics and APIs that count seconds).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds (at least 1 for a positive duration), for APIs that count them (poll(2)).
    public var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        let value = seconds.multipliedReportingOverflow(by: 1000)
        guard !value.overflow else { return seconds > 0 ? .max : .min }
        let total = value.partialValue + attoseconds / 1_000_000_000_000_000
        return total <= 0 && self > .zero ? 1 : Int(clamping: total)
    }

    /// Whole nanoseconds, saturating, for APIs that count them (NIO's TimeAmount).
    public var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let value = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !value.overflow else { return seconds > 0 ? .max : .min }
        return value.partialValue + attoseconds / 1_000_000_000
    }
}

private extension String {
    func trimmingCharactersInWhitespace() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
