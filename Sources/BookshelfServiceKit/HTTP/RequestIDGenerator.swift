import BookshelfContracts
import FoundationEssentials
import Synchronization

/// Makes request ids in UUID version 4 form without a system call per id. A process-wide random key
/// (read once) and a counter go through splitmix64, a bijection, so ids never repeat within a process and
/// look random across processes. Request ids name requests in logs; they are not secrets.
package enum RequestIDGenerator {
    private static let key: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    package static func next() -> String {
        let count = counter.add(1, ordering: .relaxed).newValue
        return UUID(version4: mix(count ^ key.0), mix(count &+ key.1)).lowercaseText
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
