#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where a secret (a token, a passphrase) is read from when it is needed: an environment variable
/// or a file. Specs and command lines only ever hold the reference, never the value.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Names the source, never the value.
    public var description: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .file(let path): "file \(path)"
        }
    }

    /// The secret, with surrounding whitespace removed; `nil` when the variable or file is missing or empty.
    public func read() -> String? {
        let raw: String?
        switch self {
        case .environment(let name): raw = ProcessInfo.processInfo.environment[name]
        case .file(let path): raw = try? String(contentsOfFile: path, encoding: .utf8)
        }
        let trimmed = raw?.trimmingWhitespaceAndNewlines()
        return trimmed?.isEmpty == false ? trimmed : nil
    }
}
