/// The Swift version of the runtime a Swift plugin shares with the host, as
/// `hh_plugin.swift_version` carries it ("6.3"). The loader and the SDK both read it
/// from here, so a host and a plugin built by one compiler always agree; Swift has no
/// stable runtime ABI on Linux, so a plugin built by another Swift version is refused
/// instead of crashing later.
public enum SwiftRuntimeVersion {
    /// The version the code using it was compiled with (the host's in the host, the
    /// plugin's in a plugin), "MAJOR.MINOR".
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
