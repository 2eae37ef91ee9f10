import SluicePolicy

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
            let properties = [
                "file=\(property(v.objectSource.file))", "line=\(v.objectSource.line)", "col=\(v.objectSource.column)",
                "title=\(property("\(v.policy) (\(v.cluster)/\(v.environment))"))",
            ].joined(separator: ",")
            out += "::\(command) \(properties)::\(data("\(v.message) — \(v.object)"))\n"
        }
        out += "::notice::\(data("sluice check: \(report.changes.count) changes, \(report.denials.count) denied, \(report.warnings.count) warnings"))\n"
        return out
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
