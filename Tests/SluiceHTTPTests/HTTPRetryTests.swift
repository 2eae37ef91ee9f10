import Foundation
@testable import SluiceHTTP
import SluiceTestSupport
import Testing

@Suite struct HTTPRetryTests {
    private struct Attempts: Decodable { var attempts: Int }
    private struct Count: Decodable { var count: Int }

    private func serverCount(_ server: HTTPTestServer, _ key: String) async throws -> Int {
        try await testClient().send(HTTPRequest(.GET, server.url("/count/\(key)"))).decode(Count.self).count
    }

    @Test func retriesAfter503HonouringRetryAfterCappedAtMaxDelay() async throws {
        let server = try HTTPTestServer()
        // Retry-After asks for 600 s; maxDelay caps it at 300 ms, far above the 1 ms backoff.
        let client = testClient { $0.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(300)) }
        let (response, seconds) = try await elapsed {
            try await client.send(HTTPRequest(.GET, server.url("/flaky/a?fail=1&code=503&retry_after=600")))
        }
        #expect(try response.requireSuccess().decode(Attempts.self).attempts == 2)
        #expect(try await serverCount(server, "a") == 2)
        #expect(seconds >= 0.29, "waited at least the capped Retry-After")
        #expect(seconds < 120, "did not wait the full 600 s Retry-After (loose: the suite shares two cores with Flink)")
    }

    @Test func retriesOn429AndGivesUpAfterMaxAttempts() async throws {
        let server = try HTTPTestServer()
        let client = testClient { $0.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(20)) }
        let ok = try await client.send(HTTPRequest(.GET, server.url("/flaky/b?fail=2&code=429&retry_after=0")))
        #expect(ok.status == 200)
        #expect(try await serverCount(server, "b") == 3)

        // Always failing: three attempts, then the last answer is returned for the caller to judge.
        let failing = try await client.send(HTTPRequest(.GET, server.url("/flaky/c?fail=99&code=429")))
        #expect(failing.status == 429)
        #expect(try await serverCount(server, "c") == 3)
        let error = try #require(throws: HTTPError.self) { try failing.requireSuccess() }
        #expect(error.hint?.contains("rate limiting") == true)
    }

    @Test func postIsNotRetriedOn500UnlessIdempotent() async throws {
        let server = try HTTPTestServer()
        let client = testClient()
        let post = try await client.send(HTTPRequest(.POST, server.url("/flaky/d?fail=1&code=500"), body: .json(Data("{}".utf8))))
        #expect(post.status == 500)
        #expect(try await serverCount(server, "d") == 1)

        var idempotent = HTTPRequest(.POST, server.url("/flaky/e?fail=1&code=500"), body: .json(Data("{}".utf8)))
        idempotent.isIdempotent = true
        #expect(try await client.send(idempotent).status == 200)
        #expect(try await serverCount(server, "e") == 2)

        // Not retryable statuses are never retried.
        #expect(try await client.send(HTTPRequest(.GET, server.url("/flaky/f?fail=1&code=404"))).status == 404)
        #expect(try await serverCount(server, "f") == 1)
    }

    @Test func connectionRefusedIsRetriedForAnyMethodThenFailsFast() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let client = testClient { $0.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20)) }
        let url = URL(string: "http://127.0.0.1:\(port)/jars/upload")!
        // Fails after the policy's attempts, not after a connect timeout: no time bound here, as a
        // loaded test run can hold any continuation for a minute (the waits are RetryPolicy's, tested alone).
        let error = await #expect(throws: HTTPError.self) { try await client.send(HTTPRequest(.POST, url, body: .json(Data("{}".utf8)))) }
        #expect(error?.kind == .couldNotConnect)
        #expect(error?.attempts == 3)
        let text = String(describing: error)
        #expect(text.contains("POST http://127.0.0.1:\(port)/jars/upload"))
        #expect(text.contains("after 3 attempts"))
        #expect(text.contains("check that the server is running and reachable"))
    }

    @Test func timeoutOfIdempotentRequestIsRetried() async throws {
        let server = try HTTPTestServer()
        let client = testClient { $0.retry = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)) }
        var request = HTTPRequest(.GET, server.url("/sleep/2000"))
        request.timeout = .milliseconds(200)
        let error = await #expect(throws: HTTPError.self) { try await client.send(request) }
        #expect(error?.kind == .timeout)
        #expect(error?.attempts == 2)

        var post = HTTPRequest(.POST, server.url("/sleep/2000"))
        post.timeout = .milliseconds(200)
        let postError = await #expect(throws: HTTPError.self) { try await client.send(post) }
        #expect(postError?.attempts == 1)
    }

    @Test func retryAfterParsesSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 784_111_777) // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:42 GMT", now: now) == .seconds(5))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:50:37 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.parse("Sun Nov  6 08:49:47 1994", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:00 GMT", now: now) == .zero)
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
    }

    @Test func backoffIsBoundedFullJitter() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))
        for retry in 1...8 {
            let ceiling = min(Duration.milliseconds(500), .milliseconds(100) * (1 << (retry - 1)))
            let delays = (0..<50).map { _ in policy.backoff(beforeRetry: retry) }
            #expect(delays.allSatisfy { $0 >= .zero && $0 <= ceiling })
            #expect(Set(delays).count > 1)
        }
        #expect(policy.capped(.seconds(30)) == .milliseconds(500))
        #expect(RetryPolicy.none.maxAttempts == 1)
    }
}
