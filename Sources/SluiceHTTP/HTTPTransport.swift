/// What sends one request and returns the final response: the HTTP client itself, or a route
/// through another server on top of it (the Kubernetes API server's service proxy), so that a
/// REST client such as Flink's is written once whichever way its requests travel.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response, whatever its status; throws when no answer came.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
