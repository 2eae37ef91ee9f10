import Foundation
import XCTest

@testable import SluiceServer

/// `sluice serve` gives back the memory glibc keeps resident after a round frees it
/// (docs/bench-notes-serve.md, "Resident memory over time").
final class HeapTrimTests: XCTestCase {
    func testTrimsOnlyWhenTheIdleMemoryPassesTheThreshold() {
        let mib = 1 << 20
        XCTAssertFalse(HeapTrim.shouldTrim(.init(residentAnonymous: 100 * mib, inUse: 52 * mib), threshold: 48 * mib))
        XCTAssertTrue(HeapTrim.shouldTrim(.init(residentAnonymous: 100 * mib + 1, inUse: 52 * mib), threshold: 48 * mib))
        // In use can exceed resident (pages allocated and never touched): nothing is idle then.
        XCTAssertEqual(HeapTrim.Reading(residentAnonymous: 10 * mib, inUse: 30 * mib).idle, 0)
        XCTAssertFalse(HeapTrim.shouldTrim(.init(residentAnonymous: 10 * mib, inUse: 30 * mib), threshold: 0))
    }

    /// Memory freed below a block still in use stays resident in glibc's arena (only an arena's
    /// top is returned on free); a trim gives it back, and no trim happens while little is idle.
    func testFreedMemoryBelowALiveBlockIsReturned() throws {
        guard HeapTrim.available, let start = HeapTrim.read() else { throw XCTSkip("needs glibc 2.33 or later") }
        let mib = 1 << 20, blocks = 64 * 1024, size = 1024
        var pointers: [UnsafeMutableRawPointer] = []
        pointers.reserveCapacity(blocks)
        for _ in 0..<blocks {
            let pointer = try XCTUnwrap(malloc(size))
            memset(pointer, 1, size)
            pointers.append(pointer)
        }
        let pin = try XCTUnwrap(malloc(64))
        defer { free(pin) }
        let allocated = try XCTUnwrap(HeapTrim.read())
        XCTAssertGreaterThan(allocated.inUse - start.inUse, 60 * mib)
        for pointer in pointers { free(pointer) }
        pointers = []
        let freed = try XCTUnwrap(HeapTrim.read())
        XCTAssertGreaterThan(freed.idle, 56 * mib, "glibc returned the freed blocks by itself: \(freed)")
        let heap = HeapTrim(threshold: 32 * mib)
        let trimmed = try XCTUnwrap(heap.afterRound(), "no trim with \(freed.idle >> 20) MiB idle")
        XCTAssertEqual(heap.trims, 1)
        XCTAssertLessThan(trimmed.residentAnonymous, freed.residentAnonymous - 48 * mib, "before \(freed), after \(trimmed)")
        // What is left idle is under the threshold now: the next round does not trim again.
        XCTAssertNil(heap.afterRound())
        XCTAssertEqual(heap.trims, 1)
    }

    /// serve starts with one arena (docs/bench-notes-serve.md); glibc takes the limit. A limit
    /// above the default (8 per core) is asked here, so the other tests' threads are not affected.
    func testArenaLimitIsTaken() throws {
        guard HeapTrim.available else { throw XCTSkip("needs glibc 2.33 or later") }
        XCTAssertTrue(HeapTrim.limitArenas(8 * ProcessInfo.processInfo.activeProcessorCount + 8))
    }
}
