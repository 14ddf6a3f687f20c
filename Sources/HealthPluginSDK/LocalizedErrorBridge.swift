#if canImport(Glibc)
import Glibc
#endif

/// A thrown error's `LocalizedError.errorDescription`, when the plugin links the
/// `HealthPluginSDKFoundation` library, which defines `hh_sdk_localized_description`.
///
/// The SDK itself does not import FoundationEssentials: a Swift plugin that does not use
/// it should not bring its 2–4 MB into every host process, and `LocalizedError` is a
/// FoundationEssentials protocol. A plugin whose errors are `LocalizedError`s imports
/// FoundationEssentials anyway; linking the companion library lets the SDK ask it. The
/// symbol is looked up in this very library (the plugin's own file, found in
/// /proc/self/maps by the address of one of its functions), since plugins are opened
/// `RTLD_LOCAL` and their symbols are not global.
enum LocalizedErrorBridge {
    /// `char *hh_sdk_localized_description(const any Error *)`: a `malloc`'d copy, or NULL.
    private typealias Describe = @convention(c) (UnsafeRawPointer) -> UnsafeMutablePointer<CChar>?

    /// The address of `hh_sdk_localized_description` in this library; 0 when not linked.
    private static let address: UInt = {
        let anchor = UInt(bitPattern: unsafeBitCast(ownAddressAnchor, to: UnsafeRawPointer.self))
        guard let file = mappedFile(containing: anchor),
            let handle = dlopen(file, RTLD_LAZY | RTLD_NOLOAD),  // kept: plugins are never unloaded
            let symbol = dlsym(handle, "hh_sdk_localized_description")
        else { return 0 }
        return UInt(bitPattern: symbol)
    }()

    /// The file mapped at `address`, from /proc/self/maps (`dladdr` without `_GNU_SOURCE`).
    private static func mappedFile(containing address: UInt) -> String? {
        let descriptor = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            // start-end perms offset dev inode path
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            let range = fields.first?.split(separator: "-") ?? []
            guard fields.count == 6, range.count == 2, let start = UInt(range[0], radix: 16),
                let end = UInt(range[1], radix: 16), (start..<end).contains(address)
            else { continue }
            let path = fields[5].drop { $0 == " " }
            return path.hasPrefix("/") ? String(path) : nil
        }
        return nil
    }

    /// The error's `errorDescription`, or `nil` (no companion library, not a
    /// `LocalizedError`, or no description given).
    static func description(of error: any Error) -> String? {
        guard address != 0, let symbol = UnsafeRawPointer(bitPattern: address) else { return nil }
        let describe = unsafeBitCast(symbol, to: Describe.self)
        return withUnsafePointer(to: error) { pointer in
            guard let text = describe(UnsafeRawPointer(pointer)) else { return nil }
            defer { free(text) }
            return String(cString: text)
        }
    }
}

/// A function of this library, whose address `dladdr` maps back to the library's file.
private let ownAddressAnchor: @convention(c) () -> Void = {}
