import Foundation
import SluiceCore
import Testing

/// The replacements for full Foundation in the runtime agent's path keep the behaviour of the
/// Foundation calls they replace: each is compared with that call here (the tests link Foundation).
@Suite("FoundationEssentials replacements")
struct EssentialsSupportTests {
    /// Every scalar CharacterSet.whitespacesAndNewlines holds, its neighbours, and some that are not space.
    static let probes: [Unicode.Scalar] = {
        let codes: [UInt32] = [0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x1F, 0x20, 0x21, 0x41, 0x84, 0x85, 0x86, 0xA0, 0xAD,
                               0x1680, 0x180E, 0x2000, 0x2005, 0x200A, 0x200B, 0x2027, 0x2028, 0x2029, 0x202F, 0x205F,
                               0x2060, 0x3000, 0xFEFF, 0x1F600]
        return codes.compactMap(Unicode.Scalar.init)
    }()

    @Test("trimmingWhitespace and trimmingWhitespaceAndNewlines trim what CharacterSet.whitespaces and .whitespacesAndNewlines do")
    func trimming() {
        for outer in Self.probes {
            for inner in Self.probes {
                let text = "\(Character(outer))\(Character(outer))a\(Character(inner))b\(Character(inner))\(Character(outer))"
                #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(outer.value) \(inner.value)")
                #expect(text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(outer.value) \(inner.value)")
            }
        }
        #expect("  \t ".trimmingWhitespace() == "")
        #expect(" x ".dropFirst(0).trimmingWhitespace() == "x")
    }

    @Test("decimalText writes what String(format: \"%.Nf\") writes")
    func decimals() {
        for value in [0, 0.05, 0.25, 0.35, 1.25, 2.5, 12.345, 99.95, -3.14159, 1e12, 123_456.789] {
            for decimals in 0...3 {
                #expect(decimalText(value, decimals: decimals) == String(format: "%.\(decimals)f", value), "\(value) \(decimals)")
            }
        }
    }

    @Test("asciiCaseInsensitiveRange finds an ASCII word in any case, where range(of:options: .caseInsensitive) does")
    func caseInsensitive() {
        for text in ["Authorization: Bearer abc", "bearer x", "BEARER y", "no token here", "beare r", "xbEaReR z", "Bearer", "é bearer ü"] {
            let mine = text.asciiCaseInsensitiveRange(of: "bearer ")
            let foundation = text.range(of: "bearer ", options: .caseInsensitive)
            #expect(mine == foundation, "\(text)")
        }
        #expect("Connection RESET by peer".asciiCaseInsensitiveContains("connection reset"))
        #expect(!"connection refused".asciiCaseInsensitiveContains("connection reset"))
    }

    @Test("FileBytes reads from an offset and appends only to an existing file")
    func fileBytes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-filebytes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try FileBytes.read(file.path) == nil)
        #expect(!FileBytes.append(Data("x".utf8), toExisting: file.path))
        #expect(!FileManager.default.fileExists(atPath: file.path))
        try Data("hello\n".utf8).write(to: file)
        #expect(FileBytes.append(Data("world\n".utf8), toExisting: file.path))
        #expect(try FileBytes.read(file.path) == Data("hello\nworld\n".utf8))
        #expect(try FileBytes.read(file.path, from: 6) == Data("world\n".utf8))
        #expect(try FileBytes.read(file.path, limit: 3) == Data("hel".utf8))
        #expect(try FileBytes.read(file.path, from: 100) == Data())
    }
}
