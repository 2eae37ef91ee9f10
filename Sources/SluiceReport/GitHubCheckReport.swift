import SluiceCore
import SluicePolicy
import SluiceYAML

/// `sluice check --output github`: workflow commands, which GitHub Actions turns into annotations
/// on the pull request's changed lines.
enum GitHubCheckReport {
    static func render(_ report: CheckReport) -> String {
        var out = ""
        if let s = report.signature, !s.verified {
            out += "::\(s.denies ? "error" : "warning") title=\(property(CommitSignatureFinding.rule))::\(data(s.message))\n"
        }
        for v in report.violations {
            let command = v.denies ? "error" : v.warns ? "warning" : "notice"
            let at = changedLine(of: v, in: report) ?? v.objectSource
            let properties = [
                "file=\(property(at.file))", "line=\(at.line)", "col=\(at.column)",
                "title=\(property("\(v.policy) (\(v.cluster)/\(v.environment))"))",
            ].joined(separator: ",")
            out += "::\(command) \(properties)::\(data("\(v.message) — \(v.object)"))\n"
        }
        out += "::notice::\(data("sluice check: \(report.changes.count) changes, \(report.denials.count) denied, \(report.warnings.count) warnings"))\n"
        return out
    }

    /// The first changed line of the violating object in its own file, so the annotation sits on
    /// the pull request's diff; `nil` for an object whose change has no such location (added,
    /// or changed only by a patch in another file).
    static func changedLine(of violation: Violation, in report: CheckReport) -> SourceLocation? {
        guard let change = report.changes.first(where: {
            $0.kind == .changed && $0.cluster == violation.cluster && $0.identity == violation.object
        }) else { return nil }
        // The diff drops locations; the head object keeps them, so follow each changed path there.
        for field in change.changes where field.new != nil {
            var node: Value? = change.source.value
            var deepest: SourceLocation?
            for key in field.keys {
                guard let next = node?[key] else { break }
                node = next
                if let location = next.location { deepest = location }
            }
            if let deepest, deepest.file == violation.objectSource.file { return deepest }
        }
        return nil
    }

    /// Escaping for a command's message, as the runner documents it.
    static func data(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// Escaping for a command's properties, which also reserve `:` and `,`.
    static func property(_ text: String) -> String {
        data(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
