import Foundation
import SluiceHTTP
import SluiceTestSupport
import Testing

@Suite struct HTTPTransferTests {
    private struct Upload: Decodable {
        struct Part: Decodable {
            var name: String
            var filename: String?
            var contentType: String?
            var length: Int
            var base64: String
        }
        var parts: [Part]
    }

    @Test func multipartUploadOfFileAndData() async throws {
        let server = try HTTPTestServer()
        let directory = try TemporaryDirectory()
        let fileBytes = Data((0..<70_000).map { UInt8(($0 * 7) % 256) })
        let file = directory.url.appendingPathComponent("job.jar")
        try fileBytes.write(to: file)
        var request = HTTPRequest(.POST, server.url("/upload"), body: .multipart([
            MultipartPart(name: "jarfile", filename: "sluice-abc-job.jar", contentType: "application/x-java-archive", content: .file(file)),
            MultipartPart(name: "note", content: .data(Data("hello".utf8))),
        ]))
        request.isIdempotent = true
        let upload = try await testClient().send(request).requireSuccess().decode(Upload.self)
        try #require(upload.parts.count == 2)
        let jar = upload.parts[0]
        #expect(jar.name == "jarfile")
        #expect(jar.filename == "sluice-abc-job.jar")
        #expect(jar.contentType == "application/x-java-archive")
        #expect(jar.length == fileBytes.count)
        #expect(Data(base64Encoded: jar.base64) == fileBytes)
        #expect(upload.parts[1].name == "note" && upload.parts[1].filename == nil)
        #expect(Data(base64Encoded: upload.parts[1].base64) == Data("hello".utf8))
    }

    @Test func multipartWithMissingFileFailsBeforeSending() async throws {
        let server = try HTTPTestServer()
        let missing = URL(fileURLWithPath: "/nonexistent/sluice/job.jar")
        let request = HTTPRequest(.POST, server.url("/upload"), body: .multipart([MultipartPart(name: "jarfile", content: .file(missing))]))
        let error = await #expect(throws: HTTPError.self) { try await testClient().send(request) }
        guard case .localFile(let reason) = error?.kind else { Issue.record("kind \(String(describing: error?.kind))"); return }
        #expect(reason.contains(missing.path))
    }

    @Test(arguments: [false, true])
    func downloadStreamsToFileWithSHA256(chunked: Bool) async throws {
        let server = try HTTPTestServer()
        let directory = try TemporaryDirectory()
        let destination = directory.url.appendingPathComponent("job.jar")
        let size = 300_000
        let result = try await testClient().download(
            HTTPRequest(.GET, server.url("/bytes/\(size)\(chunked ? "?chunked=1" : "")")), to: destination, maxBytes: size)
        #expect(result.status == 200)
        #expect(result.bytes == size)
        #expect(result.sha256 == result.headers["X-Sha256"])
        #expect(result.sha256.count == 64)
        #expect(try Data(contentsOf: destination) == serverPattern(size))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["job.jar"])
    }

    @Test(arguments: [false, true])
    func downloadOverLimitLeavesNoFile(chunked: Bool) async throws {
        let server = try HTTPTestServer()
        let directory = try TemporaryDirectory()
        let destination = directory.url.appendingPathComponent("job.jar")
        let error = await #expect(throws: HTTPError.self) {
            try await testClient().download(
                HTTPRequest(.GET, server.url("/bytes/200000\(chunked ? "?chunked=1" : "")")), to: destination, maxBytes: 100_000)
        }
        #expect(error?.kind == .responseTooLarge(limit: 100_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func downloadOfErrorStatusWritesNothing() async throws {
        let server = try HTTPTestServer()
        let directory = try TemporaryDirectory()
        let destination = directory.url.appendingPathComponent("job.jar")
        let result = try await testClient().download(HTTPRequest(.GET, server.url("/status/404")), to: destination, maxBytes: 1000)
        #expect(result.status == 404)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
