import SluicePolicy
import SluiceSync

/// `sluice check --output markdown`: a pull-request comment a reviewer reads in one glance.
enum MarkdownCheckReport {
    static func render(_ report: CheckReport) -> String {
        let verdict = report.denials.isEmpty ? "✅ no policy denies this change" : "❌ \(report.denials.count) polic\(report.denials.count == 1 ? "y denies" : "ies deny") this change"
        var out = "### Sluice: \(verdict)\n\n"
        if let s = report.signature {
            out += "\(s.verified ? "🔏" : s.denies ? "❌" : "⚠️") Signature: \(cell(s.message))\n\n"
        }
        out += "Comparing `\(report.base.prefix(12))` → `\(report.head.prefix(12))`: \(report.changes.count) object change\(report.changes.count == 1 ? "" : "s"), \(report.warnings.count) warning\(report.warnings.count == 1 ? "" : "s").\n\n"
        out += "| cluster | tier | added | changed | removed | restarts | denied | warnings |\n|---|---|---:|---:|---:|---:|---:|---:|\n"
        for cluster in report.clusters {
            let c = report.changes(on: cluster.name)
            let v = report.violations(on: cluster.name)
            let restarts = c.filter { ($0.changeClass ?? .ignore) >= .upgrade }.count
            out += "| \(cell(cluster.name)) | \(cluster.tier.rawValue) | \(c.filter { $0.kind == .added }.count) | \(c.filter { $0.kind == .changed }.count) | \(c.filter { $0.kind == .removed }.count) | \(restarts) | \(v.filter(\.denies).count) | \(v.filter { !$0.denies && $0.warns }.count) |\n"
        }
        if !report.violations.isEmpty {
            out += "\n#### Policy violations\n\n| | policy | object | cluster / environment | message | source |\n|---|---|---|---|---|---|\n"
            for v in report.violations {
                let icon = v.denies ? "❌" : v.warns ? "⚠️" : "ℹ️"
                out += "| \(icon) | `\(cell(v.policy))` | \(cell(v.object.description)) | \(cell(v.cluster)) / \(cell(v.environment)) | \(cell(v.message)) | `\(cell(v.objectSource.file)):\(v.objectSource.line)` |\n"
            }
        }
        if !report.changes.isEmpty {
            out += "\n<details><summary>Changes per cluster</summary>\n\n"
            for cluster in report.clusters where !report.changes(on: cluster.name).isEmpty {
                out += "**\(cell(cluster.name))**\n\n"
                for change in report.changes(on: cluster.name) {
                    out += "- \(CheckReport.label(change)): `\(cell(change.identity.description))` (\(cell(change.environment)))\n"
                    if change.kind == .changed {
                        for field in change.changes { out += "  - `\(cell(field.description))`\n" }
                        for ignored in change.ignored { out += "  - ignored `\(cell(ignored.change.path))`: \(cell(ignored.reason))\n" }
                    }
                    for rule in change.ignoredByManagers { out += "  - ignored: \(cell(rule))\n" }
                }
                out += "\n"
            }
            out += "</details>\n"
        }
        return out
    }

    /// Text safe inside a table cell.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
