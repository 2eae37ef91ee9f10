import ArgumentParser
import SluiceCore

/// Reading and bounding numeric flags: every duration and count a flag takes is checked in
/// `validate()` against the bounds its `--help` states.
enum Bounded {
    /// Parses a flag's duration (`30s`, `5m`, `1h30m`, or plain seconds).
    static func duration(_ text: String) throws -> Duration {
        do {
            return try DurationText.parse(text)
        } catch let error as DurationText.Invalid {
            throw ValidationError("\(error.message); \(error.hint ?? "")")
        }
    }

    static func check(_ value: Duration, _ flag: String, _ range: ClosedRange<Duration>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) \(DurationText.format(value)) is out of range: it must be between \(DurationText.format(range.lowerBound)) and \(DurationText.format(range.upperBound))")
        }
    }

    static func check(_ value: Int, _ flag: String, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) \(value) is out of range: it must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    /// `30s to 24h`, as `--help` states a range.
    static func describe(_ range: ClosedRange<Duration>) -> String {
        "\(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))"
    }
}
