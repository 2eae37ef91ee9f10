import Foundation
import SluiceFlink
import SluiceRuntime
import SluiceSpec
import SluiceYAML
import Testing

@Suite("The runtime's apply request")
struct RuntimeWireTests {
    static let identity = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "shop", name: "orders")

    @Test("a job change crosses the wire whole: kind, object, spec hash, revision, live object and the state-loss flag")
    func roundTrip() throws {
        let desired: Value = ["kind": "FlinkDeployment", "spec": ["job": ["parallelism": 4]]]
        let live: Value = ["kind": "FlinkDeployment", "spec": ["job": ["parallelism": 2]]]
        let change = try #require(JobChange(.rescale, identity: Self.identity, desired: desired, specHash: "h2", revision: "r2", live: live,
                                            allowStateLoss: true))
        let data = try JSONEncoder().encode(RuntimeWire.ApplyRequest(change))
        let received = try JSONDecoder().decode(RuntimeWire.ApplyRequest.self, from: data).change()
        #expect(received.kind == .rescale)
        #expect(received.identity == Self.identity)
        #expect(received.desired == desired)
        #expect(received.specHash == "h2")
        #expect(received.revision == "r2")
        #expect(received.live == live)
        #expect(received.allowStateLoss)
    }

    @Test("a request for a kind that asks nothing of a job is refused, saying which")
    func refusesNonSteps() throws {
        let change = try #require(JobChange(.delete, identity: Self.identity, desired: nil, specHash: nil, revision: nil, live: nil))
        var request = RuntimeWire.ApplyRequest(change)
        request.step = .drift
        #expect(JobChange(.drift, identity: Self.identity, desired: nil, specHash: nil, revision: nil, live: nil) == nil)
        let error = #expect(throws: FlinkError.self) { try request.change() }
        #expect(error?.message.contains("drift") == true)
    }
}
