import CCurlLoader
import Foundation
@testable import SluiceHTTP
import SluiceTestSupport
import Testing

/// libcurl is opened on the first request (dlopen), not when the process starts (docs/runtime.md,
/// "Idle memory"); a libcurl that cannot be opened is an `HTTPError`, never a crash.
@Suite struct HTTPLibraryLoadingTests {
    @Test("a request to a 127.0.0.1 server works with libcurl opened on first use, and then libcurl is mapped")
    func requestAfterLazyLoad() async throws {
        let server = try HTTPTestServer()
        let response = try await testClient().send(HTTPRequest(.POST, server.url("/echo"), body: .json(Data(#"{"a":1}"#.utf8))))
        #expect(response.status == 200)
        let echo = try response.requireSuccess().decode(Echo.self)
        #expect(echo.method == "POST")
        #expect(echo.body == #"{"a":1}"#)
        #expect(CurlGlobal.failure == nil)
        #expect(sluice_curl_load() == 1)
        #expect(String(cString: sluice_curl_load_error()) == "")
        let mapped = try #require(ProcessMaps.mappedFiles())
        #expect(mapped.contains("[stack]"), "the whole listing was read")
        // The file itself is listed (libcurl.so.4.8.0 for the soname libcurl.so.4).
        #expect(mapped.contains { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix(SLUICE_CURL_SONAME) })
    }

    @Test("the library Sluice opens has every function it calls")
    func systemLibcurlResolves() {
        #expect(CurlGlobal.probe(SLUICE_CURL_SONAME) == nil)
    }

    @Test("a libcurl that is not installed is a libraryUnavailable error naming it, the loader's reason and the package")
    func missingLibrary() throws {
        let soname = "libsluice-absent-\(UUID().uuidString.prefix(8)).so.4"
        let failure = try #require(CurlGlobal.probe(soname))
        guard case .libraryUnavailable(let library, let reason) = failure.cause else {
            Issue.record("expected libraryUnavailable, got \(failure.cause)")
            return
        }
        #expect(library == soname)
        // dlerror's text: "<name>: cannot open shared object file: No such file or directory".
        #expect(reason.contains(soname))
        #expect(reason.contains("No such file"))
        #expect(!failure.mayHaveReachedServer)

        let error = HTTPError(.libraryUnavailable(library: library, reason: reason), method: .GET, url: URL(string: "http://127.0.0.1:1/x")!)
        #expect(error.message.contains(soname))
        #expect(error.message.contains("No such file"))
        #expect(error.hint?.contains("libcurl4") == true)
    }

    @Test("a library without libcurl's functions is refused, naming the missing function, and left closed")
    func libraryWithoutCurl() throws {
        let failure = try #require(CurlGlobal.probe("libm.so.6"))
        guard case .libraryUnavailable(let library, let reason) = failure.cause else {
            Issue.record("expected libraryUnavailable, got \(failure.cause)")
            return
        }
        #expect(library == "libm.so.6")
        #expect(reason.contains("curl_global_init"), "the first function looked up: \(reason)")
    }
}
