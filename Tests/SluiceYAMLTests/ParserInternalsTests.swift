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

    @Test func stacksGrownByAHugeDocumentAreNotKept() throws {
        let huge = "[" + Array(repeating: "1", count: ParseScratch.maxKeptCapacity + 10).joined(separator: ",") + "]"
        let list = try YAML.parseDocument(huge, file: "huge.yaml")
        #expect(list.listValue?.count == ParseScratch.maxKeptCapacity + 10)
        // Other tests parse at the same time and may add small sets; none may have grown past the bound.
        #expect(ParseScratch.keptCapacities.allSatisfy { $0 <= ParseScratch.maxKeptCapacity })
    }
}
