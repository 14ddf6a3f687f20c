/// The Swift version of the runtime a Swift plugin shares with the host, as
/// `hh_plugin.swift_version` carries it ("6.3"). The host and the SDK compute it the same
/// way, from the compiler that built them; Swift has no stable runtime ABI on Linux, so a
/// plugin built by another Swift version is refused instead of crashing later.
public enum SwiftRuntimeVersion {
    /// The version this host was compiled with, "MAJOR.MINOR".
    public static var host: String {
        #if compiler(>=6.4)
            "6.4"
        #elseif compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #elseif compiler(>=6.1)
            "6.1"
        #else
            "6.0"
        #endif
    }
}
