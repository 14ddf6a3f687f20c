// The example plugin: a complete check plugin in a few lines of Swift.
import FoundationEssentials
import HealthPluginSDK
import Synchronization

struct Settings: Decodable {
    let marker: String
}

/// Set by the start hook (from `plugins.config.example.marker`), read by the checks.
let markerPath = Mutex("")

struct MissingMarker: LocalizedError {
    let path: String
    var errorDescription: String? { "the marker file \(path) is missing" }
}

let plugin = Plugin(name: "example", version: "1.0.0", summary: "The template plugin.") {
    Check("always_ok", isDefault: true) { .pass("fine") }
    Check("marker", summary: "The marker file exists.") {
        let path = markerPath.withLock { $0 }
        guard FileManager.default.fileExists(atPath: path) else { throw MissingMarker(path: path) }
        return .pass("found \(path)")
    }
    // Typed parameters: configure one check per variable under `checks[].args`.
    Check("env", summary: "An environment variable is set.", parameters: .string("name"), .bool("required", default: true)) {
        name, required in
        if ProcessInfo.processInfo.environment[name] != nil { return .pass("\(name) is set") }
        return required ? .fail("\(name) is not set") : .warn("\(name) is not set (optional)")
    }
}
.onStart(decoding: Settings.self) { settings, host in
    markerPath.withLock { $0 = settings.marker }
    host.log.info("watching \(settings.marker)")
}

@c(hh_plugin_entry_v1) public func entry() -> UnsafePointer<PluginDescriptor>? { plugin.export() }
