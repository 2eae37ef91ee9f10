#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Parses memory sizes as a FlinkDeployment writes them, into whole MiB (rounded up).
///
/// Flink's units (`k`, `m`, `g`, `t`, optionally followed by `b`, any case) are binary, as in Flink's
/// own `MemorySize`, so the operator's usual `"2048m"` means 2048 MiB, not 2.048 (Kubernetes milli).
/// Kubernetes binary suffixes (`Ki`, `Mi`, `Gi`, `Ti`) are binary too; a bare number is bytes.
enum MemorySize {
    /// The size in MiB, or nil when `text` is not a size.
    static func mebibytes(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        guard !number.isEmpty, let amount = Double(number), amount > 0 else { return nil }
        let unit = trimmed.dropFirst(number.count).trimmingWhitespace().lowercased()
        let bytesPerUnit: Double
        switch unit {
        case "", "b": bytesPerUnit = 1
        case "k", "kb", "ki", "kib": bytesPerUnit = 1024
        case "m", "mb", "mi", "mib": bytesPerUnit = 1024 * 1024
        case "g", "gb", "gi", "gib": bytesPerUnit = 1024 * 1024 * 1024
        case "t", "tb", "ti", "tib": bytesPerUnit = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let mebibytes = (amount * bytesPerUnit / (1024 * 1024)).rounded(.up)
        guard mebibytes < Double(Int32.max) else { return nil }
        return Int(mebibytes)
    }
}
