import SluiceCore

/// Turns a non-string map key into the string sigs.k8s.io/yaml makes of it, since Kubernetes
/// objects (JSON) only have string keys: `true` -> "true", `1` -> "1", `1.5` -> "1.5".
enum MapKeyText {
    /// The key text for a resolved scalar key, or nil when the key cannot be a JSON key (null).
    static func text(of kind: Value.Kind) -> String? {
        switch kind {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        case .double(let d): goFloat32G(d)
        case .null, .list, .map: nil
        }
    }

    /// Go's `strconv.FormatFloat(d, 'g', -1, 32)` with YAML's names for infinities and NaN,
    /// which is what sigs.k8s.io/yaml uses for float keys.
    static func goFloat32G(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        let f = Float(d)
        if f.isInfinite { return f < 0 ? "-.inf" : ".inf" }
        // Swift prints the shortest float32 digits; take them apart into digits and exponent.
        var text = Substring(f.magnitude.description)
        let negative = f.sign == .minus
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        var digits = Array(whole + fraction)
        var pointPosition = whole.count + exponent
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while let last = digits.last, last == "0" { digits.removeLast() }
        let sign = negative ? "-" : ""
        if digits.isEmpty { return sign + "0" }
        let exp = pointPosition - 1
        if exp < -4 || exp >= 6 {
            var mantissa = String(digits[0])
            if digits.count > 1 { mantissa += "." + String(digits[1...]) }
            let expDigits = String(abs(exp))
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (expDigits.count < 2 ? "0" : "") + expDigits
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + String(digits)
        }
        if pointPosition >= digits.count {
            return sign + String(digits) + String(repeating: "0", count: pointPosition - digits.count)
        }
        return sign + String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
    }
}
