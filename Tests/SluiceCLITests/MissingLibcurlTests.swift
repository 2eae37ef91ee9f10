import Foundation
import SluiceTestSupport
import Testing

/// `sluice` opens libcurl on its first HTTP request (docs/runtime.md, "Idle memory"): a host whose
/// libcurl cannot be loaded gets an error that names the library, the loader's reason and the
/// package, not a crash and not a refusal to start.
@Suite("A host without a usable libcurl")
struct MissingLibcurlTests {
    @Test("the first request fails with an error naming libcurl.so.4, why it did not load and the package to install")
    func unusableLibcurl() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-no-libcurl")
        // The dynamic loader searches LD_LIBRARY_PATH first: this file is found instead of the real libcurl.
        _ = try work.write("libcurl.so.4", "not a shared library")
        let result = try await SluiceBinary.run(["status", "--server", "http://127.0.0.1:9"],
                                                environment: ["LD_LIBRARY_PATH": work.url.path])
        #expect(result.signal == nil, "\(result)")
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("libcurl.so.4 could not be loaded"), "\(result)")
        #expect(result.stderr.contains(work.url.appendingPathComponent("libcurl.so.4").path), "the loader's reason names the file: \(result)")
        #expect(result.stderr.contains("apt-get install libcurl4"), "\(result)")
        #expect(!result.stderr.contains("start it with `sluice serve`"), "the server is not the problem: \(result)")
    }
}
