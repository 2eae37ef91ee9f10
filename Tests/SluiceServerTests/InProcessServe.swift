import Foundation
import SluiceServer
import SluiceTestSupport

/// A `serve` inside the test process: `server` answers on a free port of 127.0.0.1 and `loop`
/// runs its rounds, both in their own tasks. The server follows the loop before the loop starts,
/// so the first round is in the status API. `cancel()` ends both (also on a thrown test, from a
/// `defer`).
struct InProcessServe {
    let port: Int
    /// `http://127.0.0.1:<port>`.
    let base: URL
    private let serving: Task<Void, Never>
    private let looping: Task<Void, Never>

    init(loop: ReconcileLoop, server: ServiceServer) async throws {
        port = Int(try freePort())
        base = URL(string: "http://127.0.0.1:\(port)")!
        await server.follow()
        let port = port
        serving = Task { try? await server.run(host: "127.0.0.1", port: port) }
        looping = Task { await loop.run() }
    }

    func cancel() {
        serving.cancel()
        looping.cancel()
    }
}
