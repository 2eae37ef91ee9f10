import Foundation
import Logging

/// How `sluice serve` writes its log: `text` (one readable line per event) or `json` (one JSON
/// object per line, for a log shipper).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// A swift-log handler that writes one line per event, text or JSON, and blanks every secret
/// it was told about (API tokens, webhook secrets, the cluster credentials the service read)
/// wherever it appears: a secret that reached an error message still never reaches the log.
public struct ServiceLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let format: LogFormat
    private let secrets: SecretList
    private let write: @Sendable (String) -> Void

    /// `write` gets every line with its newline; by default standard error.
    public init(format: LogFormat, level: Logger.Level, secrets: SecretList = SecretList(),
                write: @escaping @Sendable (String) -> Void = ServiceLogHandler.standardError) {
        self.format = format
        self.logLevel = level
        self.secrets = secrets
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = self.metadata
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }
        if let error = event.error { fields["error"] = "\(error)" }
        write(Self.line(time: Date(), level: event.level, message: secrets.redact(event.message.description),
                        fields: fields.mapValues { secrets.redact($0.description) }, format: format))
    }

    static func line(time: Date, level: Logger.Level, message: String, fields: [String: String], format: LogFormat) -> String {
        let timestamp = time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .text:
            var text = "\(timestamp) \(level.rawValue.uppercased()) \(message.replacingOccurrences(of: "\n", with: " "))"
            for key in fields.keys.sorted() { text += " \(key)=\(quoted(fields[key]!))" }
            return text + "\n"
        case .json:
            var object: [String: String] = fields
            object["time"] = timestamp
            object["level"] = level.rawValue
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }

    /// A value as `key=value`, quoted when it holds spaces, quotes or `=`.
    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

    private static let output = NSLock()
    public static let standardError: @Sendable (String) -> Void = { line in
        output.withLock { FileHandle.standardError.write(Data(line.utf8)) }
    }
}

/// Secret values the log must never show; shared by every copy of the handler.
public final class SecretList: @unchecked Sendable {
    private let lock = NSLock()
    private var values: Set<String> = []
    /// Shorter values are not redacted: they would blank ordinary words.
    static let minimumLength = 6

    public init(_ values: [String?] = []) { add(values) }

    public func add(_ values: [String?]) {
        lock.withLock {
            for case let value? in values where value.count >= Self.minimumLength { self.values.insert(value) }
        }
    }

    func redact(_ text: String) -> String {
        let values = lock.withLock { self.values }
        var text = text
        // Longest first, so a secret that contains another is blanked whole.
        for value in values.sorted(by: { $0.count > $1.count }) where text.contains(value) {
            text = text.replacingOccurrences(of: value, with: "[redacted]")
        }
        return text
    }
}
