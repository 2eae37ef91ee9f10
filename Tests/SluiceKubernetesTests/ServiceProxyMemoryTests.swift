@testable import SluiceSync
import Testing

/// How long a refusal of the API server's service proxy keeps a cluster's job readings from asking
/// again: a 403 silences the namespace for 10 minutes (RBAC is per namespace), a 404 or 503 only
/// that Service for 60 s (a JobManager may come back at any time); nothing else is remembered.
@Suite("Service proxy refusals are remembered for a while, and only where they apply")
struct ServiceProxyMemoryTests {
    @Test("a 403 silences its namespace on its cluster for 600 s, then the proxy is asked again")
    func forbiddenExpires() {
        let memory = ServiceProxyMemory()
        let start = ContinuousClock.now
        memory.remember(status: 403, cluster: "prod", namespace: "shop", service: "orders-rest", now: start)
        #expect(memory.isQuiet(cluster: "prod", namespace: "shop", service: "orders-rest", now: start))
        #expect(memory.isQuiet(cluster: "prod", namespace: "shop", service: "payments-rest", now: start + .seconds(599)))
        #expect(!memory.isQuiet(cluster: "prod", namespace: "billing", service: "orders-rest", now: start))
        #expect(!memory.isQuiet(cluster: "stage", namespace: "shop", service: "orders-rest", now: start))
        #expect(!memory.isQuiet(cluster: "prod", namespace: "shop", service: "orders-rest", now: start + .seconds(600)))
    }

    @Test("a 404 or 503 silences only its Service for 60 s; other statuses are not remembered")
    func unavailableExpires() {
        let memory = ServiceProxyMemory()
        let start = ContinuousClock.now
        memory.remember(status: 503, cluster: "prod", namespace: "shop", service: "orders-rest", now: start)
        memory.remember(status: 404, cluster: "prod", namespace: "shop", service: "gone-rest", now: start)
        #expect(memory.isQuiet(cluster: "prod", namespace: "shop", service: "orders-rest", now: start + .seconds(59)))
        #expect(memory.isQuiet(cluster: "prod", namespace: "shop", service: "gone-rest", now: start + .seconds(59)))
        #expect(!memory.isQuiet(cluster: "prod", namespace: "shop", service: "payments-rest", now: start))
        #expect(!memory.isQuiet(cluster: "prod", namespace: "shop", service: "orders-rest", now: start + .seconds(60)))
        #expect(!memory.isQuiet(cluster: "prod", namespace: "shop", service: "gone-rest", now: start + .seconds(60)))

        for status in [400, 401, 500, 502] {
            memory.remember(status: status, cluster: "prod", namespace: "shop", service: "flaky-rest", now: start)
        }
        #expect(!memory.isQuiet(cluster: "prod", namespace: "shop", service: "flaky-rest", now: start))
    }

    @Test("the memory stays bounded: past its size the oldest refusal is forgotten first")
    func bounded() {
        let memory = ServiceProxyMemory()
        let start = ContinuousClock.now
        let size = ServiceProxyMemory.maxEntries
        for index in 0..<size {
            memory.remember(status: 503, cluster: "edge", namespace: "ns", service: "s\(index)", now: start + .milliseconds(index))
        }
        memory.remember(status: 503, cluster: "edge", namespace: "ns", service: "newest", now: start + .milliseconds(size))
        let now = start + .milliseconds(size)
        #expect(memory.isQuiet(cluster: "edge", namespace: "ns", service: "newest", now: now))
        #expect(!memory.isQuiet(cluster: "edge", namespace: "ns", service: "s0", now: now))
        #expect(memory.isQuiet(cluster: "edge", namespace: "ns", service: "s1", now: now))
        #expect(memory.isQuiet(cluster: "edge", namespace: "ns", service: "s\(size - 1)", now: now))
    }
}
