import Foundation
import SluiceHTTP

/// What the test server's `/echo` route saw.
struct Echo: Decodable {
    var method: String
    var path: String
    var query: String
    var headers: [String: String]
    var body: String
    var length: Int
}

/// A client for tests: no proxy from the environment, and retries with millisecond delays.
func testClient(_ adjust: (inout HTTPClientConfiguration) -> Void = { _ in }) -> HTTPClient {
    var configuration = HTTPClientConfiguration(
        connectTimeout: .seconds(2), timeout: .seconds(5),
        retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50)),
        proxy: "")
    adjust(&configuration)
    return HTTPClient(configuration: configuration)
}

/// The bytes the test server's `/bytes/<n>` route sends: 0, 1, ..., 250, 0, 1, ...
func serverPattern(_ count: Int) -> Data {
    Data((0..<count).map { UInt8($0 % 251) })
}

/// Seconds elapsed while running `body`.
func elapsed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try await body()
    let duration = ContinuousClock.now - start
    return (value, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}
