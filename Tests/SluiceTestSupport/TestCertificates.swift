import Foundation

/// A throwaway PKI made with the `openssl` command: a CA, a server certificate for 127.0.0.1 and
/// localhost, and a client certificate, all signed by the CA (EC P-256 keys, valid two days).
public final class TestCertificates: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var caCertificate: URL { file("ca.pem") }
    public var serverCertificate: URL { file("server.pem") }
    public var serverKey: URL { file("server.key") }
    public var clientCertificate: URL { file("client.pem") }
    public var clientKey: URL { file("client.key") }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "sluice-pki")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=sluice-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try issue("server", subject: "/CN=127.0.0.1",
                  extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try issue("client", subject: "/CN=sluice-test-client", extensions: "extendedKeyUsage=clientAuth\n")
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        try directory.write("\(name).ext", extensions)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                     "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext"])
    }

    private func openssl(_ arguments: [String]) throws {
        try runProcess("/usr/bin/openssl", arguments, in: directory.url, timeout: 30)
    }

    private func file(_ name: String) -> URL { directory.url.appendingPathComponent(name) }
}
