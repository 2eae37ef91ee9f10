/// Settings shared by all requests of one `HTTPClient`.
public struct HTTPClientConfiguration: Sendable {
    /// Server verification and client identity.
    public var tls: TLSConfiguration
    /// Sent as `Authorization: Bearer <token>`; never logged or put in errors.
    public var bearerToken: String?
    /// The longest time to establish a connection (TCP and TLS).
    public var connectTimeout: Duration
    /// The longest time one attempt may take in total (a request's own `timeout` overrides it).
    public var timeout: Duration
    /// When and how often to retry.
    public var retry: RetryPolicy
    /// Responses with larger bodies abort with `HTTPError` kind `.responseTooLarge`.
    public var maxResponseBytes: Int
    /// An explicit proxy URL; `nil` keeps libcurl's default (the `http_proxy`/`https_proxy`/`no_proxy`
    /// environment variables); `""` uses no proxy at all.
    public var proxy: String?
    /// The `User-Agent` header.
    public var userAgent: String

    /// A configuration with safe defaults: system CA bundle, 10 s connect, 60 s total, 4 attempts, 64 MiB.
    public init(
        tls: TLSConfiguration = TLSConfiguration(), bearerToken: String? = nil,
        connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(60),
        retry: RetryPolicy = RetryPolicy(), maxResponseBytes: Int = 64 << 20,
        proxy: String? = nil, userAgent: String = "sluice"
    ) {
        self.tls = tls
        self.bearerToken = bearerToken
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.retry = retry
        self.maxResponseBytes = maxResponseBytes
        self.proxy = proxy
        self.userAgent = userAgent
    }
}
