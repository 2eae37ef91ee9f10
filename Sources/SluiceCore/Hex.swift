/// The ASCII codes of the hexadecimal digits.
private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hexadecimal, two digits each (digests, ids).
    public var hexString: String {
        var ascii: [UInt8] = []
        ascii.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            ascii.append(hexDigits[Int(byte >> 4)])
            ascii.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: ascii, as: UTF8.self)
    }
}
