import Foundation
import SluiceTestSupport
import Testing

extension RuntimeAgentTests {
    @Test("the agent sluice runtime serve hands over to inherits no descriptor beyond the standard streams")
    func agentInheritsNoDescriptors() async throws {
        let sluice = Self.productsDirectory.appendingPathComponent("sluice").path
        let agent = Self.productsDirectory.appendingPathComponent("sluice-runtime").path
        let work = try TemporaryDirectory(prefix: "sluice-agent-fds")
        let marker = work.url.appendingPathComponent("left-open").path
        try Data("open".utf8).write(to: URL(fileURLWithPath: marker))
        // A shell leaves a descriptor open on `marker` (not close-on-exec) and execs `sluice
        // runtime serve`, as a service script with a stray redirection would: the same pid all
        // the way to the agent.
        let script = "exec 7<\"$1\"; shift; exec \"$0\" \"$@\""
        let served = try await Self.serve("/bin/bash", ["-c", script, sluice, marker, "runtime"], in: work)
        defer { served.process.stop() }
        #expect(Self.executable(of: served.process.pid) == agent)
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(served.process.pid)/fd")
        let targets = descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(served.process.pid)/fd/\($0)") }
        #expect(!targets.isEmpty)
        #expect(!targets.contains(marker), "the agent kept the shell's descriptor open: \(targets)")
    }
}
