import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

/// Sluice-chosen Flink job ids, which say which object a job belongs to and which spec it runs,
/// so live state can be read back from the cluster alone.
///
/// Layout (32 hex digits, Flink's `JobID`): `51ce` (Sluice's mark) + 12 digits of the owner
/// (a hash of cluster and object) + 8 digits of the spec hash + 8 digits of a per-submission
/// serial. Flink 2.x refuses a job id it has seen before, so every submission gets a new serial;
/// the journal keeps the id between the intent and the call, which makes a retried submission
/// find its job instead of submitting twice.
public struct JobOwner: Sendable, Hashable, CustomStringConvertible {
    static let mark = "51ce"

    /// The object, as `ObjectIdentity.description` prints it.
    public let object: String
    /// The 12-digit owner part.
    public let key: String

    public init(cluster: String, object: String) {
        self.object = object
        key = String(SHA256.hash(data: Data("\(cluster)\n\(object)".utf8)).hexString.prefix(12))
    }

    public var description: String { object }

    /// A fresh job id for a submission of the spec with `specHash`.
    public func newJobID(specHash: String) -> String {
        let serial = String(UInt32.random(in: .min ... .max), radix: 16)
        return Self.mark + key + String(specHash.prefix(8)).paddedWithZeros(to: 8)
            + String(repeating: "0", count: 8 - serial.count) + serial
    }

    /// Whether `jobID` was submitted by Sluice for this owner.
    public func owns(_ jobID: String) -> Bool { jobID.hasPrefix(jobIDPrefix) }

    /// What every job id of this owner starts with: the mark and the owner part.
    public var jobIDPrefix: String { Self.mark + key }

    /// The mark and owner part of a Sluice job id (what `jobIDPrefix` is for its owner).
    public static func ownerPrefix(ofJobID jobID: String) -> String { String(jobID.prefix(mark.count + 12)) }

    /// Whether `jobID` was submitted by Sluice for any owner.
    public static func isSluiceJob(_ jobID: String) -> Bool { jobID.count == 32 && jobID.hasPrefix(mark) }
}

extension String {
    /// The string with "0"s appended up to `length` characters (`padding(toLength:withPad: "0", startingAt: 0)`
    /// for a string no longer than `length`).
    fileprivate func paddedWithZeros(to length: Int) -> String {
        self + String(repeating: "0", count: max(0, length - count))
    }
}
