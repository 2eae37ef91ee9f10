#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CSluiceCRDs
import SluiceCore
import SluiceYAML
import Synchronization

/// The openAPIV3Schema of the Flink Kubernetes Operator's CRDs, shipped with Sluice
/// (Sources/SluiceSpec/CRDs, Apache License 2.0) and compiled once per process.
public enum FlinkSchemas {
    /// The CRD version Sluice validates against.
    public static let version = "v1beta1"

    /// The operator's CRD of each kind (Sources/SluiceSpec/CRDs). The binary carries the JSON form
    /// of each (`jsonFile(of:)`): the same document, which reads in a quarter of the time of its
    /// YAML (most of a CRD's YAML is indentation), and every process that validates reads one.
    static let files = [
        "FlinkDeployment": "flinkdeployments.flink.apache.org-v1.yml",
        "FlinkSessionJob": "flinksessionjobs.flink.apache.org-v1.yml",
        "FlinkStateSnapshot": "flinkstatesnapshots.flink.apache.org-v1.yml",
        "FlinkBlueGreenDeployment": "flinkbluegreendeployments.flink.apache.org-v1.yml",
    ]

    /// The name of the JSON form of a bundled CRD file, beside it in Sources/SluiceSpec/CRDs.
    public static func jsonFile(of file: String) -> String {
        (file.hasSuffix(".yml") ? String(file.dropLast(4)) : file) + ".json"
    }

    // Each kind's schema is compiled the first time a document of that kind asks for it: the
    // CRDs are large (the FlinkBlueGreenDeployment one is 680 KB of YAML), and most repositories
    // use one or two of the kinds. A `static let` is initialised once, safely across threads.
    private static let flinkDeployment = compiledSchema("FlinkDeployment")
    private static let flinkSessionJob = compiledSchema("FlinkSessionJob")
    private static let flinkStateSnapshot = compiledSchema("FlinkStateSnapshot")
    private static let flinkBlueGreenDeployment = compiledSchema("FlinkBlueGreenDeployment")

    /// Loading problems are a programming error, so they trap with the reason (the CRDs are part of the build).
    private static func compiledSchema(_ kind: String) -> OpenAPISchema {
        let file = files[kind]!
        do {
            return try schema(fromCRD: file)
        } catch {
            fatalError("the bundled CRD \(file) cannot be used: \(error)")
        }
    }

    /// The schema of a Flink kind, or `nil` when Sluice has no CRD for it.
    public static func schema(for kind: String) -> OpenAPISchema? {
        switch kind {
        case "FlinkDeployment": flinkDeployment
        case "FlinkSessionJob": flinkSessionJob
        case "FlinkStateSnapshot": flinkStateSnapshot
        case "FlinkBlueGreenDeployment": flinkBlueGreenDeployment
        default: nil
        }
    }

    public static var kinds: [String] { files.keys.sorted() }

    static func schema(fromCRD file: String) throws -> OpenAPISchema {
        let crd = try bundledCRDDocument(file)
        let versions = crd[path: "spec", "versions"]?.listValue ?? []
        guard let entry = versions.first(where: { $0["name"]?.stringValue == version }),
              let schema = entry[path: "schema", "openAPIV3Schema"]
        else { throw TreeError(message: "CRDs/\(file) has no \(version) schema", hint: nil) }
        return try OpenAPISchema(schema)
    }
}

extension FlinkSchemas {
    /// The `specReplicasPath` of a Flink kind's scale subresource in the bundled CRD
    /// (`.spec.taskManager.replicas` for FlinkDeployment); nil for a kind without one.
    public static func specReplicasPath(for kind: String) -> String? {
        // Read from the CRD once per kind and process: asked for per object a review or plan
        // meets under an autoscaler, and each read parses the whole CRD. Only bundled kinds are
        // remembered: the kind comes from a commit, and any other name has no path anyway.
        guard let file = files[kind] else { return nil }
        if let known = replicasPaths.withLock({ $0[kind] }) { return known }
        var path: String?
        if let crd = try? bundledCRDDocument(file) {
            let entry = (crd[path: "spec", "versions"]?.listValue ?? []).first { $0["name"]?.stringValue == version }
            path = entry?[path: "subresources", "scale", "specReplicasPath"]?.stringValue
        }
        replicasPaths.withLock { $0[kind] = path }
        return path
    }

    /// `specReplicasPath(for:)` of the bundled kinds asked for so far; nil inside for a kind
    /// without one. At most one entry per bundled CRD.
    static let replicasPaths = Mutex<[String: String?]>([:])
}

/// A CRD of Sources/SluiceSpec/CRDs, read from the JSON form compiled into the binary (CSluiceCRDs).
/// The JSON reader keeps its own interner: the thousand-odd property names of a CRD, read once,
/// stay out of the one the YAML parser keeps for spec files.
func bundledCRDDocument(_ file: String) throws -> Value {
    let json = FlinkSchemas.jsonFile(of: file)
    var size = 0
    guard let bytes = sluice_bundled_crd(json, &size) else {
        throw TreeError(message: "missing resource CRDs/\(json)", hint: "rebuild Sluice")
    }
    return try JSON.decode(Array(UnsafeBufferPointer(start: bytes, count: size)), file: "CRDs/\(json)")
}
