import Foundation
@testable import SluiceHTTP
import Testing

@Suite struct HTTPHeadersTests {
    @Test func caseInsensitiveOrderedAccess() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.add("x-a", "2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["X-a"] == "1")
        #expect(headers.values(for: "X-A") == ["1", "2"])
        headers["X-A"] = "3"
        #expect(headers.values(for: "x-a") == ["3"])
        #expect(headers.map(\.name) == ["Content-Type", "X-A"])
        headers["content-type"] = nil
        #expect(headers.count == 1 && !headers.contains("Content-Type"))
    }

    @Test func idempotencyDefaultsFollowTheMethod() {
        let url = URL(string: "http://127.0.0.1/")!
        #expect([HTTPMethod.GET, .HEAD, .PUT, .DELETE].allSatisfy { HTTPRequest($0, url).isIdempotent })
        #expect([HTTPMethod.POST, .PATCH].allSatisfy { !HTTPRequest($0, url).isIdempotent })
    }

    @Test func redactionRemovesCredentials() {
        let url = URL(string: "https://user:pa55word@example.com:8443/a/b?token=abcd1234#frag")!
        #expect(Redaction.display(url) == "https://example.com:8443/a/b")
        let secrets = Redaction.secrets(of: url, bearerToken: "tok-en-xyz")
        let text = Redaction.scrub("got pa55word, abcd1234, tok-en-xyz and Authorization: Bearer other-token", secrets: secrets)
        #expect(!text.contains("pa55word") && !text.contains("abcd1234") && !text.contains("tok-en-xyz") && !text.contains("other-token"))
        #expect(Redaction.excerpt(of: Data(String(repeating: "x", count: 500).utf8), secrets: []).count == 201)
    }
}
