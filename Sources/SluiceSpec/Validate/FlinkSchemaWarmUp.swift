#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import SluiceCore
import SluiceYAML
import Synchronization

extension FlinkSchemas {
    /// Starts compiling the schema of `kind` on a background thread, once per kind and process,
    /// and returns at once. The FlinkDeployment CRD is 587 KB of YAML: compiled when validation
    /// first asks for it, it stood alone on one core for a fifth of `sluice validate`; started
    /// while the loader still reads and parses the files, it overlaps with that work.
    /// Unknown kinds are ignored (validation reports them).
    static func prepare(_ kind: String) {
        guard files[kind] != nil, SchemaWarmUp.claim(kind) else { return }
        DispatchQueue.global(qos: .userInitiated).async { _ = schema(for: kind) }
    }

    /// Starts compiling the schema of a parsed document's kind when it is a Flink kind.
    static func prepare(forDocument document: Value) {
        guard let apiVersion = document["apiVersion"]?.stringValue,
              ObjectIdentity.group(ofAPIVersion: apiVersion) == KnownKinds.flinkGroup,
              let kind = document["kind"]?.stringValue
        else { return }
        prepare(kind)
    }
}

/// The kinds whose schema compilation has been started.
enum SchemaWarmUp {
    private static let started = Mutex<Set<String>>([])

    /// True for the first caller with `kind`, false for every later one.
    static func claim(_ kind: String) -> Bool {
        started.withLock { $0.insert(kind).inserted }
    }

    static func wasStarted(_ kind: String) -> Bool {
        started.withLock { $0.contains(kind) }
    }
}
