import Foundation
import SluiceHTTP
import SluiceTestSupport
import Testing

@Suite struct HTTPClientTests {
    @Test func getSendsHeadersAndDecodesJSON() async throws {
        let server = try HTTPTestServer()
        let client = testClient { $0.userAgent = "sluice-test/1" }
        let response = try await client.send(HTTPRequest(.GET, server.url("/echo?x=1"), headers: ["X-Custom": "hello", "x-other": "2"]))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let echo = try response.requireSuccess().decode(Echo.self)
        #expect(echo.method == "GET")
        #expect(echo.query == "x=1")
        #expect(echo.headers["x-custom"] == "hello")
        #expect(echo.headers["x-other"] == "2")
        #expect(echo.headers["user-agent"] == "sluice-test/1")
        #expect(echo.headers["authorization"] == nil)
        #expect(echo.headers["expect"] == nil)
    }

    @Test func postJSONRoundTrip() async throws {
        let server = try HTTPTestServer()
        let payload = try JSONEncoder().encode(["name": "job-ä", "parallelism": "3"])
        let response = try await testClient().send(HTTPRequest(.POST, server.url("/echo"), body: .json(payload)))
        let echo = try response.requireSuccess().decode(Echo.self)
        #expect(echo.method == "POST")
        #expect(echo.headers["content-type"] == "application/json")
        #expect(echo.length == payload.count)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(echo.body.utf8)) == ["name": "job-ä", "parallelism": "3"])
    }

    @Test func methodsAndRawBodies() async throws {
        let server = try HTTPTestServer()
        let client = testClient()
        for method in [HTTPMethod.PUT, .PATCH, .DELETE] {
            let body = Data("raw \(method.rawValue)".utf8)
            let echo = try await client.send(HTTPRequest(method, server.url("/echo"), body: .data(body, contentType: "text/plain")))
                .requireSuccess().decode(Echo.self)
            #expect(echo.method == method.rawValue)
            #expect(echo.body == "raw \(method.rawValue)")
            #expect(echo.headers["content-type"] == "text/plain")
        }
        let empty = try await client.send(HTTPRequest(.POST, server.url("/echo"))).decode(Echo.self)
        #expect(empty.method == "POST" && empty.length == 0 && empty.headers["content-length"] == "0")
        let head = try await client.send(HTTPRequest(.HEAD, server.url("/echo")))
        #expect(head.status == 200 && head.body.isEmpty && head.headers["Content-Length"] != nil)
    }

    @Test func bearerTokenIsSentButNeverPrinted() async throws {
        let server = try HTTPTestServer()
        let token = "s3cr3t-token-value-123"
        let client = testClient { $0.bearerToken = token; $0.retry = .none }
        let echo = try await client.send(HTTPRequest(.GET, server.url("/echo"))).decode(Echo.self)
        #expect(echo.headers["authorization"] == "Bearer \(token)")

        let response = try await client.send(HTTPRequest(.GET, server.url("/status/401?echo_auth=1&token=querysecret")))
        #expect(response.status == 401)
        let error = try #require(throws: HTTPError.self) { try response.requireSuccess() }
        let text = "\(error) \(error.message) \(String(describing: error.hint)) \(response)"
        #expect(!text.contains(token))
        #expect(!text.contains("querysecret"))
        #expect(text.contains("GET http://127.0.0.1:\(server.port)/status/401"))
        #expect(text.contains("HTTP 401"))
        #expect(text.contains("status 401 body"))
        #expect(error.hint?.contains("credentials") == true)
        guard case .status(401, _) = error.kind else { Issue.record("kind \(error.kind)"); return }
    }

    @Test func errorsDropUserInfoAndQuery() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let url = URL(string: "http://admin:hunter22@127.0.0.1:\(port)/api?access_token=abcdef")!
        let error = await #expect(throws: HTTPError.self) {
            try await testClient { $0.retry = .none }.send(HTTPRequest(.GET, url))
        }
        let text = String(describing: error)
        #expect(text.contains("GET http://127.0.0.1:\(port)/api"))
        #expect(!text.contains("hunter22") && !text.contains("admin") && !text.contains("abcdef"))
    }

    @Test func decodeErrorNamesURLAndField() async throws {
        let server = try HTTPTestServer()
        struct Wrong: Decodable { var method: Int }
        let response = try await testClient().send(HTTPRequest(.GET, server.url("/echo")))
        let error = try #require(throws: HTTPError.self) { try response.decode(Wrong.self) }
        #expect(error.message.contains("/echo"))
        #expect(error.message.contains("method"))
    }

    @Test func headerInjectionIsRejected() async throws {
        let server = try HTTPTestServer()
        let request = HTTPRequest(.GET, server.url("/echo"), headers: ["X-Evil": "a\r\nInjected: yes"])
        let error = await #expect(throws: HTTPError.self) { try await testClient().send(request) }
        guard case .invalidRequest = error?.kind else { Issue.record("kind \(String(describing: error?.kind))"); return }
    }

    @Test func connectionIsReused() async throws {
        let server = try HTTPTestServer()
        let client = testClient()
        var connections: Set<String> = []
        for _ in 0..<5 {
            let response = try await client.send(HTTPRequest(.GET, server.url("/echo")))
            connections.insert(try #require(response.headers["X-Connection-Id"]))
        }
        #expect(connections.count == 1)
        // A second client has its own connections: the header does tell connections apart.
        let other = try await testClient().send(HTTPRequest(.GET, server.url("/echo")))
        #expect(other.headers["X-Connection-Id"].map { !connections.contains($0) } == true)
    }

    @Test func concurrentRequestsComplete() async throws {
        let server = try HTTPTestServer()
        let client = testClient()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask { try await client.send(HTTPRequest(.GET, server.url("/echo?i=\(index)"))).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 8))
    }

    @Test func timeoutAgainstSlowServer() async throws {
        let server = try HTTPTestServer()
        // The server would answer after 120 s: finishing in half that proves the timeout cut it. The
        // bound is loose on purpose: the suite shares two cores with Flink JVMs, and a correct client
        // needs only the 300 ms.
        var request = HTTPRequest(.GET, server.url("/sleep/120000"))
        request.timeout = .milliseconds(300)
        let (error, seconds) = await elapsed {
            await #expect(throws: HTTPError.self) { try await testClient { $0.retry = .none }.send(request) }
        }
        #expect(error?.kind == .timeout)
        #expect(seconds < 60)
        #expect(error?.hint != nil)
    }

    @Test func cancellationAbortsTransfer() async throws {
        let server = try HTTPTestServer()
        let client = testClient { $0.retry = .none }
        let task = Task { try await client.send(HTTPRequest(.GET, server.url("/sleep/120000"))) }
        try await Task.sleep(for: .milliseconds(200))
        let (result, seconds) = await elapsed {
            task.cancel()
            return await task.result
        }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(seconds < 60, "cancelled long before the server's 120 s answer")
    }

    @Test func responseSizeLimit() async throws {
        let server = try HTTPTestServer()
        let client = testClient { $0.maxResponseBytes = 10_000 }
        let fits = try await client.send(HTTPRequest(.GET, server.url("/bytes/10000")))
        #expect(fits.body == serverPattern(10_000))
        for path in ["/bytes/10001", "/bytes/50000?chunked=1"] {
            let error = await #expect(throws: HTTPError.self) { try await client.send(HTTPRequest(.GET, server.url(path))) }
            #expect(error?.kind == .responseTooLarge(limit: 10_000))
            #expect(error?.attempts == 1)
        }
    }
}
