import Foundation
import SluiceSpec
import SluiceSync
import SluiceYAML

/// The printed forms of a `Plan` (`sluice plan`) and a `SyncReport` (`sluice sync`).
public enum PlanReport {
    /// Per cluster, the actions with their reasons and field changes; unchanged objects are counted, not listed.
    public static func text(_ plan: Plan) -> String {
        var out = "Plan for revision \(plan.revision.prefix(12))\n"
        for cluster in plan.clusters {
            out += "\n\(cluster.cluster.name) (\(cluster.cluster.driver.rawValue), \(cluster.cluster.tier.rawValue))\n"
            if let failure = cluster.failure {
                out += "  ! \(failure)\n"
                continue
            }
            let unchanged = cluster.actions.filter { $0.kind == .none }.count
            for action in cluster.actions where action.kind != .none || !action.ignored.isEmpty {
                out += "  \(symbol(action.kind)) \(action.kind.rawValue) \(action.identity): \(action.reason)"
                if let change = action.blueGreenChange {
                    out += " [blue/green \(change)]"
                } else if let changeClass = action.changeClass {
                    out += " [\(changeClass)]"
                }
                out += "\n"
                for change in action.changes.prefix(20) { out += "      \(change)\n" }
                if action.changes.count > 20 { out += "      ... and \(action.changes.count - 20) more\n" }
                for ignored in action.ignored.prefix(20) { out += "      = \(ignored.change.path): \(ignored.reason) (not applied, not drift)\n" }
            }
            if cluster.changes.isEmpty {
                out += "  in sync (\(unchanged) object\(unchanged == 1 ? "" : "s"))\n"
            } else if unchanged > 0 {
                out += "  \(unchanged) unchanged\n"
            }
        }
        let changes = plan.clusters.reduce(0) { $0 + $1.changes.count }
        let errors = plan.clusters.filter { $0.failure != nil }.count
        out += "\n\(changes) change\(changes == 1 ? "" : "s") on \(plan.clusters.filter { !$0.changes.isEmpty }.count) cluster(s)"
        out += errors > 0 ? ", \(errors) cluster(s) could not be planned\n" : "\n"
        return out
    }

    public static func json(_ plan: Plan) -> String {
        JSON.encode(.map(Mapping([
            entry("revision", .string(plan.revision)),
            entry("clusters", .list(plan.clusters.map { cluster in
                .map(Mapping([
                    entry("name", .string(cluster.cluster.name)),
                    entry("driver", .string(cluster.cluster.driver.rawValue)),
                    entry("tier", .string(cluster.cluster.tier.rawValue)),
                    entry("error", cluster.failure.map { .string($0.description) } ?? .null),
                    entry("actions", .list(cluster.actions.map(actionValue))),
                ]))
            })),
        ])), pretty: true) + "\n"
    }

    /// A summary table (cluster, wave, status, changes, message), then each action's outcome and health.
    public static func text(_ report: SyncReport) -> String {
        var rows = [["CLUSTER", "WAVE", "STATUS", "CHANGES", "MESSAGE"]]
        for cluster in report.clusters {
            rows.append([cluster.cluster, String(cluster.wave), cluster.status.rawValue, String(cluster.actions.count), cluster.message])
        }
        var out = "Sync of revision \(report.revision.prefix(12))\n\n" + TextTable.render(rows)
        for cluster in report.clusters where !cluster.actions.isEmpty {
            out += "\n\(cluster.cluster):\n"
            for result in cluster.actions {
                out += "  \(result.succeeded ? "✓" : "✗") \(result.action.kind.rawValue) \(result.action.identity): \(result.message)"
                out += String(format: " (%.1f s)", result.durationSeconds)
                if let health = result.health { out += " — \(health)" }
                out += "\n"
            }
        }
        let failed = report.clusters.filter { ![.synced, .unchanged].contains($0.status) }.map(\.cluster)
        out += failed.isEmpty ? "\nall \(report.clusters.count) cluster(s) in sync\n" : "\nnot in sync: \(failed.joined(separator: ", "))\n"
        return out
    }

    public static func json(_ report: SyncReport) -> String {
        JSON.encode(.map(Mapping([
            entry("revision", .string(report.revision)),
            entry("succeeded", .bool(report.succeeded)),
            entry("clusters", .list(report.clusters.map { cluster in
                .map(Mapping([
                    entry("name", .string(cluster.cluster)),
                    entry("wave", .int(cluster.wave)),
                    entry("status", .string(cluster.status.rawValue)),
                    entry("message", .string(cluster.message)),
                    entry("actions", .list(cluster.actions.map { result in
                        var value = actionValue(result.action)
                        if case .map(var map) = value.kind {
                            map["succeeded"] = .bool(result.succeeded)
                            map["message"] = .string(result.message)
                            map["savepointPath"] = result.savepointPath.map(Value.string) ?? .null
                            map["health"] = result.health.map { .map(Mapping([entry("status", .string($0.status.rawValue)), entry("reason", .string($0.reason))])) } ?? .null
                            map["rolledBack"] = .bool(result.rolledBack)
                            map["durationSeconds"] = .double(result.durationSeconds)
                            value.kind = .map(map)
                        }
                        return value
                    })),
                ]))
            })),
        ])), pretty: true) + "\n"
    }

    static func actionValue(_ action: PlannedAction) -> Value {
        .map(Mapping([
            entry("object", .string(action.identity.description)),
            entry("kind", .string(action.identity.kind)),
            entry("namespace", action.identity.namespace.map(Value.string) ?? .null),
            entry("name", .string(action.identity.name)),
            entry("action", .string(action.kind.rawValue)),
            entry("reason", .string(action.reason)),
            entry("changeClass", action.changeClass.map { .string($0.description) } ?? .null),
            entry("blueGreenChange", action.blueGreenChange.map { .string($0.description) } ?? .null),
            entry("changes", .list(action.changes.map { change in
                .map(Mapping([entry("path", .string(change.path)), entry("old", change.old ?? .null), entry("new", change.new ?? .null)]))
            })),
            entry("ignored", .list(action.ignored.map { ignored in
                .map(Mapping([entry("path", .string(ignored.change.path)), entry("live", ignored.change.old ?? .null),
                              entry("git", ignored.change.new ?? .null), entry("reason", .string(ignored.reason))]))
            })),
        ]))
    }

    static func symbol(_ kind: ActionKind) -> String {
        switch kind {
        case .create: "+"
        case .delete: "-"
        case .conflict: "!"
        case .orphan, .drift: "?"
        case .none: "="
        default: "~"
        }
    }

    private static func entry(_ key: String, _ value: Value) -> Mapping.Entry { .init(key: key, value: value) }
}
