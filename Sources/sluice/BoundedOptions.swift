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

    /// A `host:port` flag: the port must be 0 to 65535 (0 lets the system choose).
    static func checkListen(_ text: String, _ flag: String) throws {
        _ = try listenAddress(text, flag)
    }

    /// The host and port of a `host:port` flag, checked as `checkListen` does.
    static func listenAddress(_ text: String, _ flag: String) throws -> (host: String, port: Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]) else {
            throw ValidationError("\(flag) \(text) is not host:port, e.g. 127.0.0.1:8080")
        }
        try check(port, "\(flag) port", 0...65_535)
        return (String(parts[0]), port)
    }

    /// A `namespace/name` flag (a Kubernetes object in a namespace).
    static func namespacedName(_ text: String, _ flag: String) throws -> (namespace: String, name: String) {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2 else {
            throw ValidationError("\(flag) \(text) is not namespace/name, e.g. \(flag) sluice-system/sluice")
        }
        return (parts[0], parts[1])
    }

    /// `30s to 24h`, as `--help` states a range.
    static func describe(_ range: ClosedRange<Duration>) -> String {
        "\(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))"
    }
}
