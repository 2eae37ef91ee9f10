import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// Issue 12: "in sync" means running as desired. A lost job (applied and recorded, no longer on
/// the cluster) is planned as a restore, and actions that drop state say so.
@Suite("Plan: lost jobs and dropped state")
struct StateSafetyPlanTests {
    /// `value` with `spec.<section>.<key>` set.
    static func setting(_ value: Value, _ section: String, _ key: String, _ new: Value) -> Value {
        var root = value.mapValue!
        var spec = root["spec"]!.mapValue!
        var inner = spec[section]!.mapValue!
        inner[key] = new
        spec[section] = .map(inner)
        root["spec"] = .map(spec)
        return .map(root)
    }

    static func lost(_ object: DesiredObject) -> LiveObject {
        var live = Objects.live(object)
        live.isLost = true
        live.health = Health(.degraded, "lost: job 51ce… is gone from c1")
        return live
    }

    @Test("an unchanged but lost job is a restore, never `in sync`")
    func lostUnchanged() {
        let desired = Objects.desired(Objects.deployment("orders"))
        let plan = Objects.plan([desired], live: [Self.lost(desired)])
        let action = plan.actions[0]
        #expect(action.kind == .restore)
        #expect(action.isChange)
        #expect(action.reason.hasPrefix("lost:") && action.reason.contains("newest checkpoint or savepoint"), "\(action.reason)")
        // The same job found running is in sync.
        #expect(Objects.plan([desired], live: [Objects.live(desired)]).actions[0].kind == .none)
    }

    @Test("a lost job with a spec change keeps the change's kind and says it is lost")
    func lostChanged() {
        let old = Objects.desired(Objects.deployment("orders", image: "flink:2.0"))
        let new = Objects.desired(Objects.deployment("orders", image: "flink:2.1"), revision: "r2")
        let action = Objects.plan([new], live: [Self.lost(old)]).actions[0]
        #expect(action.kind == .upgrade)
        #expect(action.reason.hasPrefix("lost:"), "\(action.reason)")
    }

    @Test("a lost job that is now suspended in Git is not restored")
    func lostButSuspended() {
        let old = Objects.desired(Objects.deployment("orders"))
        let new = Objects.desired(Objects.deployment("orders", state: "suspended"), revision: "r2")
        #expect(Objects.plan([new], live: [Self.lost(old)]).actions[0].kind != .restore)
    }

    @Test("redeploy and a switch to stateless say `state will be dropped`")
    func stateDropped() {
        let old = Objects.desired(Objects.deployment("orders"))
        let redeploy = Objects.desired(Objects.deployment("orders", redeployNonce: 1), revision: "r2")
        let planned = Objects.plan([redeploy], live: [Objects.live(old)]).actions[0]
        #expect(planned.kind == .redeploy && planned.reason.contains("state will be dropped"), "\(planned.reason)")

        let statelessValue = Self.setting(Objects.deployment("orders", image: "flink:2.2"), "job", "upgradeMode", "stateless")
        let stateless = Objects.plan([Objects.desired(statelessValue, revision: "r3")], live: [Objects.live(old)]).actions[0]
        #expect(stateless.kind == .upgrade && stateless.reason.contains("state will be dropped"), "\(stateless.reason)")

        let upgrade = Objects.desired(Objects.deployment("orders", image: "flink:2.2"), revision: "r4")
        #expect(!Objects.plan([upgrade], live: [Objects.live(old)]).actions[0].reason.contains("state will be dropped"))
    }

    @Test("a last-state upgrade without a checkpoint directory says it may go through a savepoint")
    func lastStateWithoutCheckpointDirectory() {
        let oldValue = Self.setting(Objects.deployment("orders"), "job", "upgradeMode", "last-state")
        let newValue = Self.setting(Objects.deployment("orders", image: "flink:2.2"), "job", "upgradeMode", "last-state")
        let action = Objects.plan([Objects.desired(newValue, revision: "r2")], live: [Objects.live(Objects.desired(oldValue))]).actions[0]
        #expect(action.kind == .upgrade && action.reason.contains("savepoint"), "\(action.reason)")
        let durable = Self.setting(newValue, "flinkConfiguration", "execution.checkpointing.dir", "s3://cp")
        let withDirectory = Objects.plan([Objects.desired(durable, revision: "r3")], live: [Objects.live(Objects.desired(oldValue))]).actions[0]
        #expect(!withDirectory.reason.contains("goes through a savepoint"), "\(withDirectory.reason)")
    }
}
