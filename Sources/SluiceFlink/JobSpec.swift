import SluiceYAML

/// What a `FlinkDeployment` or `FlinkSessionJob` asks of a Flink cluster, read from its spec
/// with the Flink Kubernetes Operator's meaning.
public struct JobSpec: Sendable, Equatable {
    /// How a running job moves to a new spec (`spec.job.upgradeMode`).
    public enum UpgradeMode: String, Sendable, Equatable {
        /// Stop with a savepoint, start the new spec from it.
        case savepoint
        /// Start the new spec from the latest completed checkpoint (or savepoint).
        case lastState = "last-state"
        /// Cancel and start fresh, without state.
        case stateless
    }

    /// `spec.job.state`.
    public enum State: String, Sendable, Equatable { case running, suspended }

    /// The jar as written in the spec (`spec.job.jarURI`), or the `sluice.dev/jar-uri` override.
    public var jarURI: String
    /// `sluice.dev/jar-sha256`: the jar's expected SHA-256, checked after download.
    public var jarSHA256: String?
    public var entryClass: String?
    public var args: [String]
    public var parallelism: Int?
    public var upgradeMode: UpgradeMode
    public var state: State
    public var initialSavepointPath: String?
    public var allowNonRestoredState: Bool
    /// `spec.flinkConfiguration`, every value as a string (Flink reads them as strings).
    public var flinkConfiguration: [String: String]

    /// Annotation that points a non-Kubernetes driver at the jar of a `local://` (container image) jarURI.
    public static let jarURIAnnotation = "sluice.dev/jar-uri"
    /// Annotation with the SHA-256 (hex) a downloaded jar must have.
    public static let jarSHA256Annotation = "sluice.dev/jar-sha256"

    /// Reads the job of a rendered object; `nil` when it has no `spec.job` (a session cluster definition).
    /// A FlinkBlueGreenDeployment's job is that of its children, at `spec.template.spec`.
    public init?(_ object: Value) {
        let spec = object["kind"]?.stringValue == "FlinkBlueGreenDeployment" ? object[path: "spec", "template", "spec"] : object["spec"]
        guard let job = spec?["job"], job.mapValue != nil else { return nil }
        let annotations = object[path: "metadata", "annotations"]
        jarURI = annotations?[Self.jarURIAnnotation]?.stringValue ?? job["jarURI"]?.stringValue ?? ""
        jarSHA256 = annotations?[Self.jarSHA256Annotation]?.stringValue?.lowercased()
        entryClass = job["entryClass"]?.stringValue
        args = job["args"]?.listValue?.compactMap(Self.text) ?? []
        parallelism = job["parallelism"]?.intValue
        upgradeMode = job["upgradeMode"]?.stringValue.flatMap(UpgradeMode.init(rawValue:)) ?? .stateless
        state = job["state"]?.stringValue.flatMap(State.init(rawValue:)) ?? .running
        initialSavepointPath = job["initialSavepointPath"]?.stringValue
        allowNonRestoredState = job["allowNonRestoredState"]?.boolValue ?? false
        var configuration: [String: String] = [:]
        for entry in spec?["flinkConfiguration"]?.mapValue ?? Mapping() {
            if let text = Self.text(entry.value) { configuration[entry.key] = text }
        }
        flinkConfiguration = configuration
    }

    /// Where savepoints go: the spec's savepoint directory (Flink 2 and 1.x keys), else the cluster's default.
    public var savepointDirectory: String? {
        flinkConfiguration["execution.checkpointing.savepoint-dir"] ?? flinkConfiguration["state.savepoints.dir"]
    }

    /// Whether the job keeps state Sluice must carry across upgrades.
    public var isStateful: Bool { upgradeMode != .stateless }

    private static func text(_ value: Value) -> String? {
        switch value.kind {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): String(b)
        default: nil
        }
    }
}
