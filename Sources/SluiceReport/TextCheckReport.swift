import SluicePolicy
import SluiceSync

/// The human-readable report `sluice check` prints by default.
enum TextCheckReport {
    static func render(_ report: CheckReport) -> String {
        var out = "sluice check \(report.base.prefix(12))..\(report.head.prefix(12))\n"
        if let s = report.signature {
            out += "signature: \(s.verified ? "verified" : s.level.uppercased()) \(s.message)\n"
        }
        for cluster in report.clusters {
            let changes = report.changes(on: cluster.name)
            let violations = report.violations(on: cluster.name)
            out += "\ncluster \(cluster.name) (\(cluster.tier.rawValue), \(cluster.driver.rawValue)): "
            out += changes.isEmpty ? "no changes" : "\(changes.count) change\(changes.count == 1 ? "" : "s")"
            out += violations.isEmpty ? "\n" : ", \(violations.count) polic\(violations.count == 1 ? "y" : "ies") broken\n"
            for change in changes {
                out += "  \(CheckReport.label(change)): \(change.identity) [\(change.environment)]\n"
                if change.kind == .changed {
                    for field in change.changes { out += "      \(field)\n" }
                    for ignored in change.ignored { out += "      = \(ignored.change.path): \(ignored.reason) (set on create only)\n" }
                }
                for rule in change.ignoredByManagers { out += "      ignored: \(rule)\n" }
            }
            for v in violations {
                out += "  \(v.level.uppercased()) \(v.policy): \(v.message)\n"
                out += "      \(v.object) [\(v.environment)] at \(v.objectSource)\n"
            }
        }
        let denials = report.denials.count, warnings = report.warnings.count
        out += "\n\(report.changes.count) change\(report.changes.count == 1 ? "" : "s"), \(denials) denied, \(warnings) warning\(warnings == 1 ? "" : "s")\n"
        return out
    }
}
