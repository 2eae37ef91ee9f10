/// The one way Sluice reports an error a user can act on.
///
/// Every error says *where* (a source location, or the cluster/remote/object it concerns),
/// *what* went wrong and, when Sluice can tell, *what to do*. Modules define their own error
/// types and conform them; the CLI prints them all the same way.
public protocol SluiceError: Error, CustomStringConvertible, Sendable {
    /// Where the problem is in a spec or policy file, if it comes from one.
    var location: SourceLocation? { get }
    /// What went wrong, in one sentence without a trailing period.
    var message: String { get }
    /// What the user can do about it, if Sluice knows.
    var hint: String? { get }
}

extension SluiceError {
    public var location: SourceLocation? { nil }
    public var hint: String? { nil }

    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}

/// A single finding about a spec or policy: an error that blocks, or a warning that informs.
public struct Diagnostic: SluiceError, Hashable, Comparable {
    public enum Severity: String, Sendable, Hashable, Codable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    public var hint: String?

    public init(_ severity: Severity = .error, at location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        switch (a.location, b.location) {
        case let (l?, r?) where l != r: return l < r
        case (nil, _?): return true
        case (_?, nil): return false
        default: return a.message < b.message
        }
    }
}

/// Several diagnostics at once: what a loader or validator throws when the input has errors.
public struct DiagnosticError: SluiceError {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted() }

    public var message: String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        return "\(errors) error\(errors == 1 ? "" : "s") found"
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
