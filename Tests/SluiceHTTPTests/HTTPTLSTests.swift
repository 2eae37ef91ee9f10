import Foundation
import SluiceHTTP
import SluiceTestSupport
import Testing

@Suite struct HTTPTLSTests {
    private func get(_ server: HTTPTestServer, _ tls: TLSConfiguration) async throws -> HTTPResponse {
        try await testClient { $0.tls = tls; $0.retry = .none }.send(HTTPRequest(.GET, server.url("/echo")))
    }

    @Test func verifiesServerWithCAFileOrData() async throws {
        let pki = try TestCertificates()
        let server = try HTTPTestServer(certificates: pki)
        #expect(try await get(server, TLSConfiguration(certificateAuthority: .file(pki.caCertificate.path))).status == 200)
        let caData = try Data(contentsOf: pki.caCertificate)
        #expect(try await get(server, TLSConfiguration(certificateAuthority: .data(caData))).status == 200)
    }

    @Test func rejectsUnknownCAUnlessInsecure() async throws {
        let pki = try TestCertificates()
        let server = try HTTPTestServer(certificates: pki)
        let error = await #expect(throws: HTTPError.self) { try await get(server, TLSConfiguration()) }
        #expect(error?.kind == .tls)
        #expect(error?.hint?.contains("CA bundle") == true)
        #expect(String(describing: error).contains("https://127.0.0.1:\(server.port)/echo"))
        // A CA that did not sign the server certificate fails too.
        let otherPKI = try TestCertificates()
        let wrong = await #expect(throws: HTTPError.self) {
            try await get(server, TLSConfiguration(certificateAuthority: .file(otherPKI.caCertificate.path)))
        }
        #expect(wrong?.kind == .tls)
        #expect(try await get(server, TLSConfiguration(insecureSkipVerify: true)).status == 200)
    }

    @Test func serverNameIsVerifiedInsteadOfTheURLHost() async throws {
        let pki = try TestCertificates()
        let server = try HTTPTestServer(certificates: pki)  // certificate for 127.0.0.1 and localhost
        let ca = PEMSource.file(pki.caCertificate.path)
        // Connected to 127.0.0.1 and verified as localhost: the request names localhost.
        let named = try await get(server, TLSConfiguration(certificateAuthority: ca, serverName: "localhost"))
        let headers = try named.requireSuccess().decode(Echo.self).headers
        #expect(headers["host"] == "localhost:\(server.port)", "\(headers)")
        // A name the certificate does not carry fails verification (a TLS error, not a DNS one:
        // the connection still went to 127.0.0.1).
        let error = await #expect(throws: HTTPError.self) {
            try await get(server, TLSConfiguration(certificateAuthority: ca, serverName: "kubernetes.invalid"))
        }
        #expect(error?.kind == .tls, "\(String(describing: error))")
        #expect(String(describing: error).contains("https://127.0.0.1:\(server.port)/echo"), "errors name the URL the caller asked for")
    }

    @Test func mutualTLSWithClientCertificateFromFileOrData() async throws {
        let pki = try TestCertificates()
        let server = try HTTPTestServer(certificates: pki, requireClientCertificate: true)
        let ca = PEMSource.file(pki.caCertificate.path)
        let fromFiles = TLSConfiguration(certificateAuthority: ca, clientCertificate: .file(pki.clientCertificate.path),
                                         clientKey: .file(pki.clientKey.path))
        #expect(try await get(server, fromFiles).status == 200)
        let inline = TLSConfiguration(certificateAuthority: ca, clientCertificate: .data(try Data(contentsOf: pki.clientCertificate)),
                                      clientKey: .data(try Data(contentsOf: pki.clientKey)))
        #expect(try await get(server, inline).status == 200)

        let error = await #expect(throws: HTTPError.self) { try await get(server, TLSConfiguration(certificateAuthority: ca)) }
        // With TLS 1.3 the server refuses the missing certificate after the client's side of the
        // handshake is done: libcurl reports a TLS alert or, when the close wins, a transport error.
        switch error?.kind {
        case .tls?, .transport?, .connectionReset?: break
        default: Issue.record("refused without a client certificate, but as \(String(describing: error))")
        }
    }

    @Test func tlsConnectionIsReused() async throws {
        let pki = try TestCertificates()
        let server = try HTTPTestServer(certificates: pki)
        let client = testClient { $0.tls = TLSConfiguration(certificateAuthority: .data(try! Data(contentsOf: pki.caCertificate))) }
        var connections: Set<String> = []
        for _ in 0..<3 {
            let response = try await client.send(HTTPRequest(.GET, server.url("/echo")))
            connections.insert(try #require(response.headers["X-Connection-Id"]))
        }
        #expect(connections.count == 1)
    }
}
