import SluiceCore
import Testing

@Suite("concurrentMap")
struct ConcurrentMapTests {
    struct Odd: Error, Equatable { let value: Int }

    @Test("results keep input order")
    func order() {
        let input = Array(0..<1_000)
        #expect(input.concurrentMap { $0 * $0 } == input.map { $0 * $0 })
    }

    @Test("the first error by input order is rethrown, with its type")
    func firstError() {
        #expect(throws: Odd(value: 3)) {
            try [2, 4, 3, 6, 5].concurrentMap { (n: Int) throws(Odd) -> Int in
                if n % 2 == 1 { throw Odd(value: n) }
                return n
            }
        }
    }

    @Test("empty and single inputs")
    func small() {
        #expect([Int]().concurrentMap { $0 + 1 } == [])
        #expect([41].concurrentMap { $0 + 1 } == [42])
    }
}

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test("equal only for the same bytes, whatever the lengths")
    func equality() {
        let token = Array("s3cret-token".utf8)
        #expect(ConstantTime.equal(token, token))
        #expect(!ConstantTime.equal(token, Array("s3cret-tokem".utf8)))
        #expect(!ConstantTime.equal(token, Array("s3cret".utf8)))
        #expect(!ConstantTime.equal([], token))
        #expect(ConstantTime.equal([], []))
        #expect(!ConstantTime.equal([UInt8](repeating: 0, count: 256), []), "a length difference of 256 is still a difference")
    }
}

@Suite("Bounded async concurrentMap")
struct AsyncConcurrentMapTests {
    /// Counts transforms in flight and remembers the most seen at once.
    actor Gauge {
        var current = 0, peak = 0
        func enter() { current += 1; peak = max(peak, current) }
        func leave() { current -= 1 }
    }

    @Test("keeps order and never exceeds the limit")
    func limit() async throws {
        let gauge = Gauge()
        let results = try await Array(0..<40).concurrentMap(limit: 4) { n -> Int in
            await gauge.enter()
            try await Task.sleep(for: .milliseconds(2))
            await gauge.leave()
            return n * 2
        }
        #expect(results == Array(0..<40).map { $0 * 2 })
        let peak = await gauge.peak
        #expect(peak <= 4 && peak >= 2)
    }

    @Test("an error is rethrown")
    func error() async {
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            _ = try await Array(0..<10).concurrentMap(limit: 3) { n -> Int in
                if n == 5 { throw Boom() }
                return n
            }
        }
    }
}
