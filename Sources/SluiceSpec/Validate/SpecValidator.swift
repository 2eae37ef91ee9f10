#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceYAML

/// Classifies loaded documents by `apiVersion`/`kind` and checks them: Sluice's own kinds field
/// by field, the Flink kinds against the operator's CRD schemas, every name, and the references
/// and identities across documents.
struct SpecValidator {
    /// Where the document checks of documents loaded before are kept (`sluice check` loads the
    /// base and then the head, which shares the parses of its unchanged files), if anywhere.
    var parsedFiles: ParsedFiles?

    func validate(_ objects: [SpecObject], revision: String, diagnostics: inout [Diagnostic]) -> SpecSet? {
        var clusters: [ClusterSpec] = []
        var environments: [EnvironmentSpec] = []
        var workloads: [SpecObject] = []
        var policies: [SpecObject] = []
        var seen: [ObjectIdentity: SpecObject] = [:]
        let checks = documentChecks(objects)

        for (index, var object) in objects.enumerated() {
            var reader = FieldReader(fallback: object.location)
            // The name's problems come first, as when they were checked in this loop.
            diagnostics += checks[index].name
            if let first = seen[object.sourceIdentity] {
                reader.error(object.value["metadata"]?["name"] ?? object.value,
                             "duplicate \(object.sourceIdentity): also defined at \(first.location)",
                             hint: "rename one of them, or delete the copy")
            } else {
                seen[object.sourceIdentity] = object
            }

            object.placement = placement(of: object, &reader)
            switch (object.group, object.kind) {
            case (KnownKinds.sluiceGroup, "Cluster"):
                checkAPIVersion(object, &reader)
                if let cluster = ClusterSpec.decode(object, &reader) { clusters.append(cluster) }
            case (KnownKinds.sluiceGroup, "Environment"):
                checkAPIVersion(object, &reader)
                if let environment = EnvironmentSpec.decode(object, &reader) { environments.append(environment) }
            case (KnownKinds.sluiceGroup, _):
                reader.error(object.value["kind"], "unknown Sluice kind \"\(object.kind)\"",
                             hint: "sluice.dev/v1alpha1 has the kinds Cluster and Environment")
            case (KnownKinds.admissionGroup, "ValidatingAdmissionPolicy"),
                 (KnownKinds.admissionGroup, "ValidatingAdmissionPolicyBinding"):
                policies.append(object)
            case (KnownKinds.flinkGroup, _):
                workloads.append(object)
            case ("", "Secret"):
                reader.error(object.value, "Secret \(object.name): secrets must not be stored in Git",
                             hint: "create the Secret out of band (or with an operator such as External Secrets) and reference it by name")
                workloads.append(object)
            default:
                workloads.append(object)
            }
            diagnostics += reader.diagnostics
            diagnostics += checks[index].flink
        }

        checkReferences(clusters: clusters, environments: environments, workloads: workloads, &diagnostics)
        return SpecSet(revision: revision, clusters: clusters.sorted { $0.name < $1.name },
                       environments: environments.sorted { ($0.wave, $0.name) < ($1.wave, $1.name) },
                       workloads: workloads, policies: policies, warnings: [])
    }

    /// The workload's `sluice.dev/cluster-selector`, parsed in the label-selector string form.
    private func placement(of object: SpecObject, _ reader: inout FieldReader) -> LabelSelector? {
        let node = object.value[path: "metadata", "annotations", SpecObject.placementAnnotation]
        guard let text = node?.stringValue else { return nil }
        do {
            return try LabelSelector(parsing: text)
        } catch {
            reader.error(node, "metadata.annotations.\(SpecObject.placementAnnotation): \(message(of: error))",
                         hint: "write a label selector such as \"sluice.dev/tier in (public,private)\" or \"sluice.dev/driver=kubernetes\"")
            return nil
        }
    }

    private func checkAPIVersion(_ object: SpecObject, _ reader: inout FieldReader) {
        if object.apiVersion != KnownKinds.sluiceAPIVersion {
            reader.error(object.value["apiVersion"], "unsupported apiVersion \"\(object.apiVersion)\" for \(object.kind)",
                         hint: "use apiVersion: \(KnownKinds.sluiceAPIVersion)")
        }
    }

    private func checkName(_ object: SpecObject, _ reader: inout FieldReader) {
        let node = object.value[path: "metadata", "name"]
        // Sluice's names become labels and job ids, so they must be DNS-1123 labels; others follow Kubernetes.
        let problem = object.group == KnownKinds.sluiceGroup
            ? Names.dns1123LabelProblem(object.name)
            : Names.dns1123SubdomainProblem(object.name)
        if let problem { reader.error(node, "metadata.name: \(problem)") }
        if let labels = object.value[path: "metadata", "labels"]?.mapValue {
            for entry in labels {
                let keyNode = Value(.string(entry.key), at: entry.keyOrValueLocation)
                if let problem = Names.labelKeyProblem(entry.key) {
                    reader.error(keyNode, "metadata.labels: invalid key \"\(entry.key)\": \(problem)")
                }
                if let value = entry.value.stringValue, let problem = Names.labelValueProblem(value) {
                    reader.error(entry.value, "metadata.labels.\(entry.key): invalid value: \(problem)")
                } else if entry.value.stringValue == nil {
                    reader.error(entry.value, "metadata.labels.\(entry.key): expected a string, found \(entry.value.typeName)",
                                 hint: "quote the value, e.g. \"\(entry.key)\": \"true\"")
                }
            }
        }
    }

    /// The checks of one document that read nothing but the document: its name and labels, and
    /// for a Flink kind its CRD schema.
    struct DocumentChecks: Sendable {
        var name: [Diagnostic]
        var flink: [Diagnostic]
    }

    /// `checkName` and, for the Flink kinds, `checkFlink` of every object. Schema checks are most
    /// of validation's time and each reads only its own document, so they run on all cores, in
    /// contiguous chunks; the results keep the objects' order. A document whose parse was checked
    /// by an earlier load (`parsedFiles`) is not checked again.
    private func documentChecks(_ objects: [SpecObject]) -> [DocumentChecks] {
        let chunkCount = Swift.min(objects.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        guard chunkCount > 0 else { return [] }
        let chunks = (0..<chunkCount).map { objects.count * $0 / chunkCount ..< objects.count * ($0 + 1) / chunkCount }
        let parsedFiles = self.parsedFiles
        return chunks.concurrentMap { range in
            objects[range].map { object -> DocumentChecks in
                guard let parsedFiles else { return documentChecks(of: object) }
                return parsedFiles.checks(of: object.value) { documentChecks(of: object) }
            }
        }.flatMap { $0 }
    }

    private func documentChecks(of object: SpecObject) -> DocumentChecks {
        var names = FieldReader(fallback: object.location)
        checkName(object, &names)
        guard object.group == KnownKinds.flinkGroup else { return DocumentChecks(name: names.diagnostics, flink: []) }
        var flink = FieldReader(fallback: object.location)
        checkFlink(object, kind: object.kind, &flink)
        return DocumentChecks(name: names.diagnostics, flink: flink.diagnostics)
    }

    private func checkFlink(_ object: SpecObject, kind: String, _ reader: inout FieldReader) {
        guard let schema = FlinkSchemas.schema(for: kind) else {
            reader.error(object.value["kind"], "unknown kind \"\(kind)\" in \(KnownKinds.flinkGroup)",
                         hint: "the Flink operator defines \(FlinkSchemas.kinds.joined(separator: ", "))")
            return
        }
        if object.apiVersion != KnownKinds.flinkAPIVersion {
            reader.error(object.value["apiVersion"], "unsupported apiVersion \"\(object.apiVersion)\" for \(kind)",
                         hint: "use apiVersion: \(KnownKinds.flinkAPIVersion)")
        }
        for diagnostic in schema.validate(object.value) {
            reader.error(Value(.null, at: diagnostic.location), diagnostic.message, hint: diagnostic.hint)
        }
        if let configuration = FlinkConfiguration.configuration(of: object.value)?.mapValue {
            let path = FlinkConfiguration.path(ofKind: kind)?.joined(separator: ".") ?? "spec.flinkConfiguration"
            for duplicate in FlinkConfiguration.duplicateKeys(configuration) {
                reader.error(Value(.null, at: duplicate.keyLocation ?? duplicate.value.location),
                             "\(path) sets \(duplicate.key) twice, once nested and once as a dotted key",
                             hint: "Flink reads both forms as the same key; keep one of them")
            }
        }
    }

    /// Cross-document checks: every environment selects something, session jobs name a session cluster.
    private func checkReferences(
        clusters: [ClusterSpec], environments: [EnvironmentSpec], workloads: [SpecObject],
        _ diagnostics: inout [Diagnostic]
    ) {
        for environment in environments {
            if !clusters.contains(where: { environment.clusterSelector.matches($0.selectorLabels) }) {
                diagnostics.append(Diagnostic(.warning, at: environment.location,
                    "Environment \(environment.name) selects no cluster",
                    hint: "check spec.clusters against the labels of the Cluster documents"))
            }
            for patch in environment.patches {
                let hits = workloads.contains { w in
                    clusters.contains { patch.target.matches(kind: w.kind, name: w.name, labels: w.labels, cluster: $0) }
                }
                if !hits {
                    diagnostics.append(Diagnostic(.warning, at: patch.location,
                        "this patch of Environment \(environment.name) matches no object",
                        hint: "check the target's kind, name, labelSelector, tier and cluster"))
                }
            }
        }
        let sessionClusters = Set(workloads.filter { $0.kind == "FlinkDeployment" && $0.value[path: "spec", "job"] == nil }.map(\.name))
        for job in workloads where job.kind == "FlinkSessionJob" {
            let node = job.value[path: "spec", "deploymentName"]
            guard let target = node?.stringValue else { continue }  // the schema reports a missing field
            if !sessionClusters.contains(target) {
                let isApplication = workloads.contains { $0.kind == "FlinkDeployment" && $0.name == target }
                diagnostics.append(Diagnostic(.error, at: node?.location ?? job.location,
                    "spec.deploymentName: \(isApplication ? "FlinkDeployment \(target) is an application cluster (it has spec.job), not a session cluster" : "no FlinkDeployment named \(target)")",
                    hint: "name a FlinkDeployment without spec.job in this repository"))
            }
        }
    }
}
