import Foundation
import SluiceCore
import SluiceServer
import SluiceTestSupport
import Testing

/// The exact bytes `sluice serve` answers with (status line, headers in order, body): clients, the
/// dashboard and scripts parse them, so a change of the server's code must not change them.
/// Only `Date` varies and is left out.
@Suite("The service's answers keep their wire format", .serialized)
struct ServiceWireFormatTests {
    static func answer(_ port: Int, _ request: String) async throws -> String {
        try await ServiceHardeningTests.Harness.request(port, request)
            .split(separator: "\r\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
    }

    static func expected(_ status: String, _ headers: [String], _ body: String) -> String {
        (["HTTP/1.1 \(status)"] + headers + ["Content-Length: \(body.utf8.count)", "Server: sluice", "", body]).joined(separator: "\r\n")
    }

    @Test("refusals, accepted actions, webhook answers and probes, byte for byte")
    func answers() async throws {
        let harness = try await Harness()
        defer { Task { await harness.stop() } }
        let port = harness.port
        let close = "Host: x\r\nConnection: close\r\n"

        #expect(try await Self.answer(port, "GET /healthz HTTP/1.1\r\n\(close)\r\n")
                == Self.expected("200 OK", ["Content-Type: text/plain; charset=utf-8"], "ok\n"))
        #expect(try await Self.answer(port, "GET /readyz HTTP/1.1\r\n\(close)\r\n")
                == Self.expected("200 OK", ["Content-Type: text/plain; charset=utf-8"], "ready\n"))
        #expect(try await Self.answer(port, "GET /api/v1/status HTTP/1.1\r\n\(close)\r\n")
                == Self.expected("401 Unauthorized", ["Content-Type: application/json", "WWW-Authenticate: Bearer"],
                                 #"{"error":"missing or wrong bearer token"}"#))
        #expect(try await Self.answer(port, "GET /api/v1/status HTTP/1.1\r\n\(close)Authorization: Basic b3A6b3A=\r\n\r\n")
                == Self.expected("401 Unauthorized", ["Content-Type: application/json", "WWW-Authenticate: Bearer"],
                                 #"{"error":"missing or wrong bearer token"}"#))
        #expect(try await Self.answer(port, "POST /api/v1/sync HTTP/1.1\r\n\(close)Authorization: Bearer \(ServiceHardeningTests.token)\r\nContent-Length: 0\r\n\r\n")
                == Self.expected("202 Accepted", ["Content-Type: application/json"], "{\n  \"accepted\" : \"a sync round is queued\"\n}"))
        let follow = #"{}"#
        #expect(try await Self.answer(port, "POST /api/v1/rollback HTTP/1.1\r\n\(close)Authorization: Bearer \(ServiceHardeningTests.token)\r\nContent-Length: \(follow.utf8.count)\r\n\r\n\(follow)")
                == Self.expected("202 Accepted", ["Content-Type: application/json"], "{\n  \"accepted\" : \"following the branch again\"\n}"))
        #expect(try await Self.answer(port, "POST /webhooks/bitbucket HTTP/1.1\r\n\(close)Content-Length: 2\r\n\r\n{}")
                == Self.expected("404 Not Found", ["Content-Type: text/plain; charset=utf-8"],
                                 "unknown webhook source; use /webhooks/github, /webhooks/gitlab, /webhooks/gitea or /webhooks/generic\n"))
        #expect(try await Self.answer(port, "POST /webhooks/github HTTP/1.1\r\n\(close)X-GitHub-Event: push\r\nContent-Length: 2\r\n\r\n{}")
                == Self.expected("401 Unauthorized", ["Content-Type: application/json"], "{\n  \"error\" : \"the delivery is not signed\"\n}"))
        let body = #"{"ref":"refs/heads/main"}"#
        let signed = "X-Hub-Signature-256: \(ServiceHardeningTests.signature(body))\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: wire-1\r\n"
        let delivery = "POST /webhooks/github HTTP/1.1\r\n\(close)\(signed)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        #expect(try await Self.answer(port, delivery) == Self.expected("202 Accepted", ["Content-Type: application/json"], "{\n  \"accepted\" : \"push\"\n}"))
        #expect(try await Self.answer(port, delivery) == Self.expected("200 OK", ["Content-Type: application/json"], "{\n  \"duplicate\" : \"wire-1\"\n}"))
        #expect(try await Self.answer(port, "GET /nothing-here HTTP/1.1\r\n\(close)\r\n") == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nServer: sluice\r\n\r\n")
    }

    typealias Harness = ServiceHardeningTests.Harness
}
