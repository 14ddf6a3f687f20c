import Foundation
import NIOConcurrencyHelpers

/// Compiles C plugins with the system C compiler, as a plugin author would:
/// `cc -std=c99 -Wall -Wextra -pedantic -Werror -shared -fPIC -I include`.
enum PluginCompiler {
    private static let cache = NIOLockedValueBox([String: String]())

    /// Compiles `source` with `defines` into a file called `fileName` in a folder of its
    /// own, once per test process; returns the file's path. The compiler runs on a thread
    /// of its own (see ``runOffThePool(_:_:environment:)``): a test waiting for `cc` must
    /// not hold a thread of the cooperative pool that the timing tests share.
    static func build(source: String, fileName: String, defines: [String] = []) async throws -> String {
        let key = ([source, fileName] + defines).joined(separator: "|")
        if let path = cache.withLockedValue({ $0[key] }) { return path }
        let folder = TestPaths.temporaryDirectory("plugin")
        let output = (folder as NSString).appendingPathComponent(fileName)
        let result = try await runOffThePool(
            "/usr/bin/env",
            [
                "cc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden",
                "-I", TestPaths.include,
            ] + defines.map { "-D\($0)" } + ["-o", output, source])
        guard result.status == 0 else { throw CompileError(output: result.output) }
        cache.withLockedValue { $0[key] = output }
        return output
    }

    /// The bundled core plugin, compiled from Plugins/core/core.c.
    static func core(fileName: String = "hh-core.so") async throws -> String {
        try await build(source: TestPaths.corePluginSource, fileName: fileName)
    }

    /// The testkit fixture plugin.
    static func testkit(fileName: String = "hh-testkit.so") async throws -> String {
        try await build(source: "\(TestPaths.fixtures)/testkit.c", fileName: fileName)
    }

    /// The enginekit fixture plugin (sleeps and counters). Give each test its own
    /// `fileName`: each file is its own image, so its counters start at zero.
    static func enginekit(fileName: String) async throws -> String {
        try await build(source: "\(TestPaths.fixtures)/enginekit.c", fileName: fileName)
    }

    /// The dialect fixture plugin (ok / warn / down and an info section), or a variant.
    static func dialectkit(_ defines: [String] = [], fileName: String = "hh-dialectkit.so") async throws -> String {
        try await build(source: "\(TestPaths.fixtures)/dialectkit.c", fileName: fileName, defines: defines)
    }

    /// The paramkit fixture plugin (typed parameters, both ways), or a variant.
    static func paramkit(_ defines: [String] = [], fileName: String = "hh-paramkit.so") async throws -> String {
        try await build(source: "\(TestPaths.fixtures)/paramkit.c", fileName: fileName, defines: defines)
    }

    /// The crashkit fixture plugin (segfaults, aborts, exits, hangs and spews on purpose).
    static func crashkit(fileName: String = "hh-crashkit.so") async throws -> String {
        try await build(source: "\(TestPaths.fixtures)/crashkit.c", fileName: fileName)
    }

    /// A variant of the broken fixture plugin.
    static func broken(_ defines: [String], fileName: String = "hh-broken.so") async throws -> String {
        try await build(source: "\(TestPaths.fixtures)/broken.c", fileName: fileName, defines: defines)
    }

    struct CompileError: Error, CustomStringConvertible {
        let output: String
        var description: String { "cc failed:\n\(output)" }
    }
}

/// Runs a program to completion, returning its exit status and combined output.
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
    -> (status: Int32, output: String)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = ProcessLaunch.pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try ProcessLaunch.run(process)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// ``run(_:_:environment:)`` on a thread of its own: waiting for a child process must not
/// hold one of the few threads of Swift's cooperative pool, which every async test in
/// the process shares (a blocked pool stalls timing-sensitive tests for seconds).
func runOffThePool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
    -> (status: Int32, output: String)
{
    try await offThePool { try run(executable, arguments, environment: environment) }
}

/// Runs blocking `work` (waiting for a process, reading a pipe to its end) on a thread of
/// its own, so that it holds no thread of Swift's cooperative pool.
func offThePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.start()
    }
}
