import Testing

@testable import SluiceSpec

/// `FlinkSchemas.specReplicasPath(for:)` remembers what it read from the bundled CRDs; the kind it
/// is asked for comes from a commit, so only the bundled kinds may be remembered.
@Suite struct ReplicasPathTests {
    @Test func onlyBundledKindsAreRemembered() {
        for i in 0..<200 { #expect(FlinkSchemas.specReplicasPath(for: "NotAFlinkKind\(i)") == nil) }
        #expect(FlinkSchemas.specReplicasPath(for: "FlinkDeployment") == ".spec.taskManager.replicas")
        #expect(FlinkSchemas.specReplicasPath(for: "FlinkStateSnapshot") == nil)
        let remembered = FlinkSchemas.replicasPaths.withLock { Set($0.keys) }
        #expect(remembered.isSubset(of: Set(FlinkSchemas.files.keys)))
        #expect(remembered.contains("FlinkDeployment"))
    }
}
