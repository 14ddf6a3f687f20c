// The SDK test plugin: every path of the Swift SDK the tests check through the real
// loader and the HTTP API. Built by SwiftPM as libsdktest-plugin.so.
import Foundation
public import HealthPluginSDK
import Synchronization

struct Settings: Decodable, Sendable {
    let greeting: String
    let minFreeMb: Int
    let shutdownMarker: String?
    let extra: String?
}

struct DiskFull: LocalizedError {
    var errorDescription: String? { "disk /data is full" }
}

enum PlainError: Error { case brokenPipe }

/// Carries the secret into its text, as careless code does: the host must scrub it.
struct LoginRefused: Error, CustomStringConvertible {
    let user: String
    let token: String
    var description: String { "login refused for \(user) with token \(token)" }
}

let settings = Mutex<Settings?>(nil)
let calls = Atomic<Int>(0)

let plugin = Plugin(name: "sdktest", version: "0.9.0", summary: "Exercises the Swift SDK.") {
    Check("ok", summary: "Always passes.", isDefault: true) { .pass("fine") }
    Check("warn", isDefault: true) { .warn("getting full").observed(91.5, unit: "percent") }
    Check("fail") { .fail("database unreachable") }
    Check("throws_localized") { throw DiskFull() }
    Check("throws_plain") { throw PlainError.brokenPipe }
    Check("long") { .pass(String(repeating: "€", count: 2000)) }
    Check("long_unit") { .pass("x").observed(1, unit: String(repeating: "µ", count: 40)) }
    Check("context", timeout: .milliseconds(1500)) { context in
        context.log.info("context check ran as \(context.configuredName)")
        return .pass("\(context.configuredName) within \(context.timeout)")
    }
    Check("settings") {
        guard let current = settings.withLock({ $0 }) else { return .fail("no settings") }
        return .pass("\(current.greeting) \(current.minFreeMb)")
    }
    Check("serial", isThreadSafe: false) {
        .pass("call \(calls.add(1, ordering: .relaxed).newValue)")
    }
    Check("free_space", parameters: .string("path", default: "/"), .int("min_free_mb", default: 1)) { path, minFree in
        .pass("\(path) needs \(minFree) MB")
    }
    Check(
        "typed", summary: "Echoes its typed arguments.",
        parameters: .string("text", summary: "Any text."), .int("count", default: 3), .double("ratio", default: 0.25),
        .bool("loud", default: false)
    ) { context, text, count, ratio, loud in
        .pass("\(context.configuredName): \(loud ? text.uppercased() : text) x\(count) ratio \(ratio)")
            .observed(ratio, unit: "ratio")
    }
    Check("login", parameters: .string("user", default: "app"), .string("token", secret: true)) { user, token in
        throw LoginRefused(user: user, token: token)
    }
}
.onStart(decoding: Settings.self) { decoded, host in
    settings.withLock { $0 = decoded }
    host.log.info("sdktest started on \(host.version), extra=\(host.setting("extra") ?? "none")")
}
.info(section: "sdk_info") {
    guard let current = settings.withLock({ $0 }) else { throw DiskFull() }
    return ["greeting": current.greeting, "secret_token": "never-shown", "calls": "\(calls.load(ordering: .relaxed))"]
}
.onShutdown { host in
    guard let marker = settings.withLock({ $0?.shutdownMarker }) else { return }
    _ = FileManager.default.createFile(atPath: marker, contents: Data("bye".utf8))
    host.log.warning("sdktest shut down")
}

@c(hh_plugin_entry_v1) public func entry() -> UnsafePointer<PluginDescriptor>? { plugin.export() }
