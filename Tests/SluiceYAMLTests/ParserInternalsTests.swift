import SluiceCore
import Testing

@testable import SluiceYAML

/// The key hash, the key interner and the pool of parse stacks are shortcuts under the parser:
/// these pin what each must keep (equal keys hash equally, different keys are told apart,
/// repeated long keys share storage, a failed parse leaves nothing behind for the next one).
@Suite struct ParserInternalsTests {
    private func hash(_ text: String) -> (hash: UInt64, ascii: Bool) {
        var text = text
        return text.withUTF8 { KeyFingerprint.hashAndASCII($0) }
    }

    @Test func keyHashReadsEveryByteWhateverTheLengthAndAlignment() {
        // Lengths around the 8-byte words, differing only in the last byte, the first byte, or a
        // trailing NUL (the length is part of the hash).
        for length in 1...40 {
            let base = String(repeating: "k", count: length)
            #expect(hash(base).hash != hash(String(base.dropLast()) + "j").hash, "length \(length)")
            #expect(hash(base).hash != hash("j" + base.dropFirst()).hash, "length \(length)")
            #expect(hash(base).hash != hash(base + "\u{0}").hash, "length \(length)")
            #expect(hash(base).ascii)
        }
        // The same bytes at another address hash the same.
        let bytes = Array("execution.checkpointing.interval".utf8)
        let padded = [UInt8(ascii: "x")] + bytes
        let a = bytes.withUnsafeBufferPointer { KeyFingerprint.hashAndASCII($0) }
        let b = padded.withUnsafeBufferPointer { KeyFingerprint.hashAndASCII(UnsafeBufferPointer(rebasing: $0.dropFirst())) }
        #expect(a.hash == b.hash)
    }

    @Test func nonASCIIKeysHaveTheFingerprintThatMatchesEveryKey() {
        // A non-ASCII byte in the overlapping last word, in a full word, and in a short key.
        for key in ["abcdefghi\u{E9}", "\u{E9}bcdefghijklmnop", "\u{212A}", "abcdefgh\u{212A}"] {
            #expect(!hash(key).ascii, "\(key)")
            #expect(KeyFingerprint.of(key) == 0, "\(key)")
        }
        #expect(KeyFingerprint.of("abcdefghi") != 0)
    }

    @Test func aLongKeyReadAgainSharesTheStorageOfItsSecondReading() throws {
        let interner = KeyInterner()
        func read(_ text: String) -> String {
            var text = text
            return text.withUTF8 { interner.key($0) }
        }
        func address(_ s: String) -> UnsafeRawPointer? {
            s.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
        }
        let key = "taskmanager.numberOfTaskSlots"
        let first = read(key), second = read(key), third = read(key), fourth = read(key)
        #expect([first, second, third, fourth].allSatisfy { $0 == key })
        #expect(address(third) == address(second))
        #expect(address(fourth) == address(second))
        // Another key is never answered with a stored one.
        #expect(read("taskmanager.numberOfTaskSlotz") == "taskmanager.numberOfTaskSlotz")
        // Many distinct keys, each read twice, all come back as themselves (the tables grow).
        for i in 0..<300 { _ = read("a-long-key-number-\(i)") }
        for i in 0..<300 { #expect(read("a-long-key-number-\(i)") == "a-long-key-number-\(i)") }
    }

    @Test func theInternerStopsRememberingAtItsCapacity() {
        let interner = KeyInterner(capacity: 4)
        for round in 0..<3 {
            for i in 0..<20 {
                var text = "a-long-key-number-\(i)"
                let read = text.withUTF8 { interner.key($0) }
                #expect(read == "a-long-key-number-\(i)", "round \(round)")
            }
        }
    }

    @Test func aFailedParseLeavesNoNodesForTheNext() throws {
        // The error comes deep inside a list inside a map: the stacks hold children when it is thrown.
        #expect(throws: YAMLError.self) { try YAML.parse("a:\n  b: [1, 2, {c: 3, c: 4}]\n", file: "bad.yaml") }
        #expect(throws: YAMLError.self) { try YAML.parse("a:\n  - [1, 2\n", file: "bad.yaml") }
        let value = try YAML.parseDocument("p: [1, 2]\nq: {z: 3}\n", file: "good.yaml")
        #expect(value == ["p": [1, 2], "q": ["z": 3]])
    }

    @Test func textOfEveryLengthIsWhatDecodingGives() {
        // Around the 15 bytes a String holds inline, ASCII and not, and invalid UTF-8, which both
        // paths must repair alike (libyaml rejects it first, but the two must not disagree).
        var inputs: [[UInt8]] = []
        for length in 0...40 {
            inputs.append(Array(String(repeating: "k", count: length).utf8))
            if length >= 2 { inputs.append(Array(String(repeating: "k", count: length - 2).utf8) + [0xC3, 0xA9]) }
            if length >= 1 { inputs.append(Array(String(repeating: "k", count: length - 1).utf8) + [0xFF]) }
        }
        inputs.append([0xE2, 0x84, 0xAA])  // U+212A KELVIN SIGN
        inputs.append([0xC3])  // a truncated sequence
        for bytes in inputs {
            let made = bytes.withUnsafeBufferPointer { UTF8Text.string($0) }
            let decoded = String(decoding: bytes, as: UTF8.self)
            #expect(Array(made.utf8) == Array(decoded.utf8), "\(bytes)")
            #expect(made == decoded)
        }
    }

    /// An object whose release is counted, to see that each element leaves the stack once.
    private final class Counted {
        nonisolated(unsafe) static var released = 0
        let id: Int
        init(_ id: Int) { self.id = id }
        deinit { Counted.released += 1 }
    }

    @Test func poppedChildrenAreMovedNotCopied() {
        let stack = ChildStack<Counted>(capacity: 2)
        Counted.released = 0
        for i in 0..<7 { stack.push(Counted(i)) }
        var popped = stack.pop(from: 3)
        #expect(popped.map(\.id) == [3, 4, 5, 6])
        #expect(stack.count == 3)
        // The array holds the only reference: nothing was retained on the way, nothing left behind.
        for i in popped.indices { #expect(isKnownUniquelyReferenced(&popped[i])) }
        #expect(stack.pop(from: 3).isEmpty)
        popped = []
        #expect(Counted.released == 4)
        stack.truncate(to: 0)
        #expect(Counted.released == 7)
    }

    private func storage(_ s: String) -> UnsafeRawPointer? {
        s.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    private func onlyKey(_ value: Value) -> String? { value.mapValue?.entries.first?.key }

    @Test func parsesWithoutAnInternerShareLongKeysWithTheParsesBefore() throws {
        // A key no other test uses, so that the pooled interners have not seen it.
        let key = "sluice.test.pooled-key-\(UInt64.random(in: 0...UInt64.max))"
        // Each parse may take another pooled set of stacks (other tests parse at the same time),
        // so read it often enough for one set to see it three times.
        let keys = try (0..<(12 * ParseScratch.maxPooled)).compactMap { _ in
            onlyKey(try YAML.parseDocument("\(key): 1\n", file: "pooled.yaml"))
        }
        #expect(keys.allSatisfy { $0 == key })
        let addresses = keys.map(storage)
        #expect(Set(addresses.compactMap { $0 }).count < keys.count, "no two parses shared the key's storage")
    }

    @Test func longStringValuesAreSharedAndLongNumbersStayNumbers() throws {
        let text = "registry.example.com/flink-jobs-\(UInt64.random(in: 0...UInt64.max)):1.17.0"
        let values = try (0..<(12 * ParseScratch.maxPooled)).compactMap { _ in
            try YAML.parseDocument("image: \(text)\n", file: "values.yaml")["image"]?.stringValue
        }
        #expect(values.count == 12 * ParseScratch.maxPooled && values.allSatisfy { $0 == text })
        #expect(Set(values.map(storage).compactMap { $0 }).count < values.count, "no two parses shared the value's storage")
        // Long plain scalars that resolve to something else are not strings; quoted, they are.
        let document = try YAML.parseDocument(
            "big: 1234567890123456789\nsmall: 0.000000000000000001\nquoted: \"1234567890123456789\"\nlong-true: TRUE\n",
            file: "numbers.yaml")
        #expect(document["big"] == .int(1_234_567_890_123_456_789))
        #expect(document["small"]?.doubleValue == 1e-18)
        #expect(document["quoted"] == .string("1234567890123456789"))
        #expect(document["long-true"] == .bool(true))
    }

    @Test func aFullPooledInternerForgetsItsFullTablesWhenItsStacksComeBack() {
        let scratch = ParseScratch()
        let interner = scratch.keys
        for i in 0..<ParseScratch.keysKept {
            var key = "k\(i)"
            _ = key.withUTF8 { interner.key($0, hash: KeyFingerprint.hashAndASCII($0).hash) }
        }
        #expect(interner.isFull)
        ParseScratch.giveBack(scratch)
        #expect(!interner.isFull)
    }

    @Test func longStringsSeenOnceNeitherFillTheInternerNorKeepOthersFromBeingShared() {
        // Spec files hold thousands of long values seen once (names, paths), among a few that
        // every file repeats (an apiVersion, an image). The record of sightings kept every hash and
        // filled at the interner's capacity: it grew four times and was emptied again, each
        // probe a cache miss. It now keeps the most recent sightings in a fixed table.
        let interner = KeyInterner(capacity: ParseScratch.keysKept)
        func read(_ text: String) -> String {
            var text = text
            return text.withUTF8 { interner.value($0) }
        }
        let common = "flink.apache.org/v1beta1"
        var readings: [String] = []
        for i in 0..<(3 * ParseScratch.keysKept) {
            _ = read("a-long-value-seen-once-\(i)")
            if i % 4 == 0 { readings.append(read(common)) }
        }
        #expect(!interner.isFull)
        #expect(interner.sightingCapacity == KeyInterner.maxSightingSlots)
        #expect(readings.allSatisfy { $0 == common })
        let shared = readings.dropFirst(2).map(storage)
        #expect(Set(shared).count == 1, "the repeated value was stored once and shared from its second reading")
        // A small interner records fewer.
        let small = KeyInterner(capacity: 64)
        for i in 0..<1000 {
            var text = "a-long-value-seen-once-\(i)"
            _ = text.withUTF8 { small.value($0) }
        }
        #expect(small.sightingCapacity == 64)
    }

    @Test func shortValuesComeBackAsThemselves() {
        let interner = KeyInterner(capacity: 64)
        let values = ["job-0001", "job-0002", "", "x", "\u{212A}", "K", "caf\u{E9}", "cafe\u{301}", "fifteen-bytes-x", "sixteen-bytes-xy"]
        for _ in 0..<3 {
            for value in values {
                var text = value
                let read = text.withUTF8 { interner.value($0) }
                #expect(Array(read.utf8) == Array(value.utf8), "\(value)")
            }
        }
    }

    private func packed(_ text: String) -> PackedText {
        var text = text
        return text.withUTF8 { PackedText($0) }
    }

    @Test func packingTellsEveryShortTextApart() {
        // Every length up to 15, differing in the last byte, the first byte, or by a trailing NUL
        // (the length is part of the packing); each length's loads overlap differently.
        for length in 0...PackedText.maxCount {
            let base = String(repeating: "k", count: length)
            #expect(packed(base).count == length)
            #expect(packed(base) != PackedText.empty)
            if length > 0 {
                #expect(packed(base) != packed(String(base.dropLast()) + "j"), "length \(length)")
                #expect(packed(base) != packed("j" + base.dropFirst()), "length \(length)")
            }
            if length < PackedText.maxCount { #expect(packed(base) != packed(base + "\u{0}"), "length \(length)") }
        }
        // Each byte position matters on its own, whatever the length.
        for length in 1...PackedText.maxCount {
            let zeros = [UInt8](repeating: 0x61, count: length)
            let readings = (0..<length).map { position -> PackedText in
                var bytes = zeros
                bytes[position] = 0x62
                return bytes.withUnsafeBufferPointer { PackedText($0) }
            }
            #expect(Set(readings.map { [$0.low, $0.high] }).count == length, "length \(length)")
        }
        // The same bytes at another address pack the same.
        let bytes = Array("taskmanager.mem".utf8)
        let padded = [UInt8(ascii: "x")] + bytes
        let a = bytes.withUnsafeBufferPointer { PackedText($0) }
        let b = padded.withUnsafeBufferPointer { PackedText(UnsafeBufferPointer(rebasing: $0.dropFirst())) }
        #expect(a == b)
        #expect(packed("name").isASCII && !packed("caf\u{E9}").isASCII && !packed("abcdefghij\u{E9}").isASCII)
    }

    @Test func packedHashesSpreadNamesThatDifferOnlyAtTheEnd() {
        // 4,096 names into the low 13 bits of their hashes: a random spread fills about 3,200 of
        // the 8,192 slots. A hash whose low bits ignored the last bytes put `job-0000` to
        // `job-4095` in 41 slots, and each lookup then probed 50 slots.
        for pattern in ["job-", "tenant-", "000000000"] {
            let names = (0..<4096).map { pattern + String($0) }
            let slots = Set(names.map { Int(truncatingIfNeeded: packed($0).hash) & 8191 })
            #expect(slots.count > 2900, "\(pattern): \(slots.count) slots")
        }
    }

    @Test func keysTooLongToKeepAreReadButNeverStored() throws {
        let interner = KeyInterner()
        let key = String(repeating: "x", count: KeyInterner.longestStored + 1)
        var text = key
        let readings = (0..<4).map { _ in text.withUTF8 { interner.key($0) } }
        #expect(readings.allSatisfy { $0 == key })
        #expect(Set(readings.map(storage)).count == 4)
        // One byte shorter is kept from its second reading on.
        var kept = String(repeating: "x", count: KeyInterner.longestStored)
        let keptReadings = (0..<4).map { _ in kept.withUTF8 { interner.key($0) } }
        #expect(storage(keptReadings[2]) == storage(keptReadings[1]))
    }

    @Test func shortKeysComeBackAsThemselves() {
        let interner = KeyInterner(capacity: 64)
        // Short keys that differ in one byte, by case, by length, and non-ASCII ones (which compare
        // by canonical equivalence as Strings, but must come back with their own bytes).
        let keys = ["name", "nama", "Name", "names", "", "a", "\u{212A}", "K", "caf\u{E9}", "cafe\u{301}", "image", "spec"]
        for _ in 0..<3 {
            for key in keys {
                var text = key
                let read = text.withUTF8 { bytes in interner.key(bytes, hash: KeyFingerprint.hashAndASCII(bytes).hash) }
                #expect(Array(read.utf8) == Array(key.utf8), "\(key)")
            }
        }
    }

    @Test func stacksGrownByAHugeDocumentAreNotKept() throws {
        let huge = "[" + Array(repeating: "1", count: ParseScratch.maxKeptCapacity + 10).joined(separator: ",") + "]"
        let list = try YAML.parseDocument(huge, file: "huge.yaml")
        #expect(list.listValue?.count == ParseScratch.maxKeptCapacity + 10)
        // Other tests parse at the same time and may add small sets; none may have grown past the bound.
        #expect(ParseScratch.keptCapacities.allSatisfy { $0 <= ParseScratch.maxKeptCapacity })
    }
}
