#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// PEM material from a file or inline (kubeconfig `*-data` fields are base64 of PEM; callers decode
/// them before).
public enum PEMSource: Sendable, Equatable {
    /// A path to a PEM file.
    case file(String)
    /// PEM bytes.
    case data(Data)
}

/// How the client verifies servers and, for mutual TLS, identifies itself.
public struct TLSConfiguration: Sendable {
    /// The CA certificates that may sign server certificates; `nil` uses the system bundle.
    public var certificateAuthority: PEMSource?
    /// The client certificate for mutual TLS.
    public var clientCertificate: PEMSource?
    /// The client certificate's private key (unencrypted PEM).
    public var clientKey: PEMSource?
    /// Skips verifying the server's certificate and host name. Only for tests and lab setups.
    public var insecureSkipVerify: Bool
    /// The name the server's certificate must carry (and the SNI sent) when it differs from the
    /// URL's host, e.g. an API server reached by IP whose certificate names `kubernetes` (the
    /// kubeconfig's `tls-server-name`).
    public var serverName: String?

    /// A configuration; the defaults verify servers against the system CA bundle.
    public init(
        certificateAuthority: PEMSource? = nil, clientCertificate: PEMSource? = nil,
        clientKey: PEMSource? = nil, insecureSkipVerify: Bool = false, serverName: String? = nil
    ) {
        self.serverName = serverName
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
    }
}
