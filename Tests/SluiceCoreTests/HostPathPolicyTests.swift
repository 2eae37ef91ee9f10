import Foundation
import SluiceCore
import Testing

/// Host paths a spec names must lie under roots the host's operator allows.
@Suite("Host path roots")
struct HostPathPolicyTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-roots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("allowed/jars"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: url.appendingPathComponent("allowed-not"), withIntermediateDirectories: true)
        try Data("jar".utf8).write(to: url.appendingPathComponent("allowed/jars/job.jar"))
        try Data("secret".utf8).write(to: url.appendingPathComponent("allowed-not/kubeconfig"))
        return url
    }

    @Test("paths under a root pass, as plain paths and file URLs, also when they do not exist yet")
    func allowed() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let policy = HostPathPolicy(roots: [base.appendingPathComponent("allowed").path])
        #expect(try policy.check(base.appendingPathComponent("allowed/jars/job.jar").path, field: "jarURI").hasSuffix("/allowed/jars/job.jar"))
        try policy.check("file://" + base.appendingPathComponent("allowed/jars/job.jar").path, field: "jarURI")
        try policy.check(base.appendingPathComponent("allowed/savepoints/new").path, field: "savepoint-dir")
    }

    @Test("everything else is refused with the field, the path and a hint", arguments: [
        "/etc/passwd", "relative/job.jar", "file://evil.example/etc/passwd", "%ROOT%/allowed/../allowed-not/kubeconfig",
        "%ROOT%/allowed-not/kubeconfig", "%ROOT%/allowed/link/kubeconfig",
    ])
    func refused(path: String) throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        // A symlink inside the root that points outside it.
        try FileManager.default.createSymbolicLink(at: base.appendingPathComponent("allowed/link"), withDestinationURL: base.appendingPathComponent("allowed-not"))
        let policy = HostPathPolicy(roots: [base.appendingPathComponent("allowed").path])
        let concrete = path.replacingOccurrences(of: "%ROOT%", with: base.path)
        let error = #expect(throws: HostPathPolicy.Refusal.self) { try policy.check(concrete, field: "spec.job.jarURI") }
        #expect(error?.message.contains("spec.job.jarURI") == true)
        #expect(error?.hint?.contains("--allowed-path-root") == true)
    }

    @Test("no root configured refuses every path; extra roots (a runtime's own state) are honoured")
    func noRoots() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let policy = HostPathPolicy()
        let error = #expect(throws: HostPathPolicy.Refusal.self) { try policy.check(base.appendingPathComponent("allowed/jars/job.jar").path, field: "f") }
        #expect(error?.message.contains("no host path is allowed") == true)
        try policy.check(base.appendingPathComponent("allowed/jars/job.jar").path, field: "f", extraRoots: [base.appendingPathComponent("allowed").path])
    }
}
