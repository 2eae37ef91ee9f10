#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceFlink
import SluiceYAML

/// What the runtime runs for one FlinkDeployment: one JobManager and `taskManagers` TaskManagers
/// with the given process sizes and Flink configuration. Derived from the spec by `from(deployment:)`.
public struct FlinkProcessPlan: Sendable, Codable, Equatable {
    /// The deployment key, `<namespace>.<name>`; only letters, digits, `.`, `_` and `-`, so it can
    /// name a directory.
    public var name: String
    /// `jobmanager.memory.process.size` in MiB.
    public var jobManagerMemoryMiB: Int
    /// `taskmanager.memory.process.size` in MiB, per TaskManager.
    public var taskManagerMemoryMiB: Int
    /// How many TaskManager processes run.
    public var taskManagers: Int
    /// `taskmanager.numberOfTaskSlots`.
    public var taskSlots: Int
    /// The spec's `flinkConfiguration`, flattened to dotted keys with string values.
    public var flinkConfiguration: [String: String]

    /// Flink's own defaults, used when neither the resource nor the configuration sets a size.
    static let defaultJobManagerMiB = 1600
    static let defaultTaskManagerMiB = 1728

    /// A plan with explicit values (tests, session clusters).
    public init(name: String, jobManagerMemoryMiB: Int, taskManagerMemoryMiB: Int, taskManagers: Int = 1,
                taskSlots: Int = 1, flinkConfiguration: [String: String] = [:]) {
        self.name = name
        self.jobManagerMemoryMiB = jobManagerMemoryMiB
        self.taskManagerMemoryMiB = taskManagerMemoryMiB
        self.taskManagers = taskManagers
        self.taskSlots = taskSlots
        self.flinkConfiguration = flinkConfiguration
    }

    /// The memory all processes of the plan may use: JobManager plus every TaskManager.
    public var totalMemoryMiB: Int { jobManagerMemoryMiB + taskManagers * taskManagerMemoryMiB }

    /// Derives the plan from a `flink.apache.org/v1beta1 FlinkDeployment`. Memory comes from
    /// `spec.<jobManager|taskManager>.resource.memory`, else the `*.memory.process.size` keys of
    /// `spec.flinkConfiguration`, else Flink's defaults. `spec.taskManager.replicas` defaults to
    /// enough TaskManagers for `spec.job.parallelism`, else 1. Errors name the field path.
    ///
    /// A `FlinkBlueGreenDeployment` is planned from its child spec, `spec.template.spec`, with
    /// slots for two jobs: during a transition green runs beside blue on the same JobManager
    /// (docs/runtime.md, "FlinkBlueGreenDeployment"). Errors then name the template's field paths.
    public static func from(deployment: Value) throws -> FlinkProcessPlan {
        let name = try deploymentKey(deployment)
        let isBlueGreen = deployment["kind"]?.stringValue == JobLifecycle.blueGreenKind
        let field = isBlueGreen ? "spec.template.spec" : "spec"
        guard let spec = isBlueGreen ? deployment[path: "spec", "template", "spec"] : deployment["spec"], spec.mapValue != nil else {
            throw RuntimeError(.invalidPlan, "\(name): \(field) is missing or not a mapping", at: deployment.location,
                               hint: "a FlinkDeployment needs a spec with jobManager and taskManager")
        }
        let configuration = try flatConfiguration(spec["flinkConfiguration"], field: field)
        let slots = try positiveInt(configuration["taskmanager.numberOfTaskSlots"], default: 1,
                                    path: "\(field).flinkConfiguration[taskmanager.numberOfTaskSlots]",
                                    location: spec["flinkConfiguration"]?.location)
        let jobManagerMiB = try memory(of: spec, field: field, role: "jobManager",
                                       configured: configuration["jobmanager.memory.process.size"],
                                       configKey: "jobmanager.memory.process.size", default: defaultJobManagerMiB)
        let taskManagerMiB = try memory(of: spec, field: field, role: "taskManager",
                                        configured: configuration["taskmanager.memory.process.size"],
                                        configKey: "taskmanager.memory.process.size", default: defaultTaskManagerMiB)
        let jobs = isBlueGreen ? 2 : 1
        var replicas = jobs
        if let value = spec[path: "taskManager", "replicas"] {
            guard let count = value.intValue, count >= 1 else {
                throw RuntimeError(.invalidPlan, "\(field).taskManager.replicas must be a whole number of at least 1, not \(describe(value))",
                                   at: value.location)
            }
            replicas = jobs * count
        } else if let parallelism = spec[path: "job", "parallelism"]?.intValue, parallelism > 0 {
            // What the operator does: enough TaskManagers to give every parallel instance a slot.
            replicas = (jobs * parallelism + slots - 1) / slots
        }
        return FlinkProcessPlan(name: name, jobManagerMemoryMiB: jobManagerMiB, taskManagerMemoryMiB: taskManagerMiB,
                                taskManagers: replicas, taskSlots: slots, flinkConfiguration: configuration)
    }

    /// `<namespace>.<name>` from metadata (namespace `default` when absent), checked to be filesystem-safe.
    private static func deploymentKey(_ deployment: Value) throws -> String {
        guard let name = deployment[path: "metadata", "name"]?.stringValue, !name.isEmpty else {
            throw RuntimeError(.invalidPlan, "metadata.name is missing", at: deployment.location,
                               hint: "every FlinkDeployment needs metadata.name")
        }
        let namespace = deployment[path: "metadata", "namespace"]?.stringValue ?? "default"
        let key = "\(namespace).\(name)"
        let allowed = { (scalar: Unicode.Scalar) in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || ".-_".unicodeScalars.contains(scalar)
        }
        guard key.unicodeScalars.allSatisfy(allowed), !key.hasPrefix(".") else {
            throw RuntimeError(.invalidPlan, "metadata.name/namespace \"\(key)\" has characters the runtime cannot use in a directory name",
                               at: deployment[path: "metadata", "name"]?.location,
                               hint: "use letters, digits, '.', '-' and '_' (Kubernetes DNS names always qualify)")
        }
        return key
    }

    private static func memory(of spec: Value, field: String, role: String, configured: String?, configKey: String, default fallback: Int) throws -> Int {
        if let value = spec[path: role, "resource", "memory"] {
            guard let mebibytes = scalarText(value).flatMap(MemorySize.mebibytes) else {
                throw RuntimeError(.invalidPlan, "\(field).\(role).resource.memory: \(describe(value)) is not a memory size",
                                   at: value.location, hint: "write it like \"2048m\", \"2g\", \"1536Mi\" or \"1Gi\"")
            }
            return mebibytes
        }
        if let configured {
            guard let mebibytes = MemorySize.mebibytes(configured) else {
                throw RuntimeError(.invalidPlan, "\(field).flinkConfiguration[\(configKey)]: \"\(configured)\" is not a memory size",
                                   at: spec["flinkConfiguration"]?.location, hint: "write it like \"2048m\" or \"2g\"")
            }
            return mebibytes
        }
        return fallback
    }

    /// A string or integer scalar as text. (A separate function: Swift 6.3's optimizer crashed on
    /// the same logic written inline with `??`.)
    private static func scalarText(_ value: Value) -> String? {
        switch value.kind {
        case .string(let text): text
        case .int(let number): String(number)
        default: nil
        }
    }

    private static func positiveInt(_ text: String?, default fallback: Int, path: String, location: SourceLocation?) throws -> Int {
        guard let text else { return fallback }
        guard let number = Int(text.trimmingWhitespace()), number >= 1 else {
            throw RuntimeError(.invalidPlan, "\(path): \"\(text)\" is not a whole number of at least 1", at: location)
        }
        return number
    }

    /// `flinkConfiguration` as flat dotted keys; nested mappings (allowed by newer operators) are joined with dots.
    static func flatConfiguration(_ value: Value?, field: String) throws -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard value.mapValue != nil else {
            throw RuntimeError(.invalidPlan, "\(field).flinkConfiguration must be a mapping, not \(value.typeName)", at: value.location)
        }
        var result: [String: String] = [:]
        func visit(_ value: Value, prefix: String) throws {
            if let mapping = value.mapValue {
                for entry in mapping {
                    try visit(entry.value, prefix: prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)")
                }
                return
            }
            switch value.kind {
            case .string(let text): result[prefix] = text
            case .int(let number): result[prefix] = String(number)
            case .double(let number): result[prefix] = String(number)
            case .bool(let flag): result[prefix] = String(flag)
            case .null: break
            default:
                throw RuntimeError(.invalidPlan, "\(field).flinkConfiguration[\(prefix)] must be a scalar, not \(value.typeName)",
                                   at: value.location, hint: "write lists as Flink does, e.g. \"a;b\"")
            }
        }
        try visit(value, prefix: "")
        return result
    }

    private static func describe(_ value: Value) -> String {
        switch value.kind {
        case .string(let text): "\"\(text)\""
        case .int(let number): String(number)
        case .double(let number): String(number)
        default: value.typeName
        }
    }
}
