import SluicePolicy
import SluiceSpec
import SluiceSync

/// The result of `sluice check`: what a change between two revisions does on each cluster, and
/// which policies the head revision breaks. Rendered in the formats CI systems read.
public struct CheckReport: Sendable {
    public var base: String
    public var head: String
    /// Every cluster at either revision, by name, with its tier and driver.
    public var clusters: [ClusterSpec]
    public var changes: [ObjectChange]
    public var violations: [Violation]
    /// The head revision's signature status, when trust roots were given.
    public var signature: CommitSignatureFinding?

    public init(base: String, head: String, clusters: [ClusterSpec], changes: [ObjectChange], violations: [Violation]) {
        self.base = base
        self.head = head
        self.clusters = clusters.sorted { $0.name < $1.name }
        self.changes = changes
        self.violations = violations.sorted {
            ($0.objectSource, $0.cluster, $0.policy, $0.message) < ($1.objectSource, $1.cluster, $1.policy, $1.message)
        }
    }

    public var denials: [Violation] { violations.filter(\.denies) }
    public var warnings: [Violation] { violations.filter { !$0.denies && $0.warns } }

    /// Whether the check fails: a Deny fired, or a warning did and warnings count as failures.
    public func fails(warningsAsErrors: Bool = false) -> Bool {
        !denials.isEmpty || signature?.denies == true || (warningsAsErrors && (!warnings.isEmpty || signature?.warns == true))
    }

    public func changes(on cluster: String) -> [ObjectChange] { changes.filter { $0.cluster == cluster } }
    public func violations(on cluster: String) -> [Violation] { violations.filter { $0.cluster == cluster } }

    /// The formats `sluice check --output` writes.
    public enum Format: String, Sendable, CaseIterable {
        case text, json, sarif, junit, github, markdown
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .text: TextCheckReport.render(self)
        case .json: JSONCheckReport.render(self)
        case .sarif: SARIFCheckReport.render(self)
        case .junit: JUnitCheckReport.render(self)
        case .github: GitHubCheckReport.render(self)
        case .markdown: MarkdownCheckReport.render(self)
        }
    }

    /// `added`, `changed (upgrade)`, ... for one change.
    static func label(_ change: ObjectChange) -> String {
        switch change.kind {
        case .added: "added"
        case .removed: "removed"
        case .changed:
            change.blueGreenChange.map { "changed (blue/green \($0))" } ?? change.changeClass.map { "changed (\($0))" } ?? "changed"
        }
    }
}
