import Foundation
import HealthCore
@testable import HealthPluginLoader
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the host says when its worker is not this build's: a shell script stands in
/// for the worker binary and says what a worker of another protocol would. A process,
/// but no plugin and no sleep: the script waits for its socket to close.
@Suite(.timeLimit(.minutes(1)))
struct WorkerHandshakeTests {
    @Test func aWorkerOfAnotherProtocolVersionIsNamedWithBothVersions() throws {
        let worker = try fakeWorker(#"printf '%s' 'J{"type":"hello","version":2,"shape":"new"}' >&3"#)
        let message = try describeFailure(worker: worker)
        #expect(message.contains("speaks worker protocol version 2, this host version 1"), "\(message)")
        #expect(message.contains(worker), "the worker binary is named: \(message)")
    }

    @Test func aWorkerThatSendsNoMessageOfTheProtocolIsRefused() throws {
        let worker = try fakeWorker(#"printf '%s' 'Jnot json' >&3"#)
        let message = try describeFailure(worker: worker)
        #expect(message.hasPrefix("the worker sent a message that is not JSON"), "\(message)")
    }

    @Test func aWorkerThatAnswersHelloWithAnotherMessageIsRefused() throws {
        let worker = try fakeWorker(#"printf '%s' 'J{"type":"ready"}' >&3"#)
        let message = try describeFailure(worker: worker)
        #expect(message == "the worker sent 'ready' where 'hello' belongs", "\(message)")
    }

    /// An executable script that runs `body`, then waits until the host closes its socket.
    private func fakeWorker(_ body: String) throws -> String {
        let path = TestPaths.temporaryDirectory("fake-worker") + "/worker.sh"
        try "#!/bin/sh\n\(body)\ncat <&3 >/dev/null\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// The message of the error describing a plugin through `worker` throws.
    private func describeFailure(worker: String) throws -> String {
        let policy = IsolationPolicy(defaultIsolation: .process, bundled: .nothing, workerExecutable: worker, initTimeout: .seconds(10))
        let plugin = PluginWorker(path: "/nonexistent/plugin.so", policy: policy, logger: Logger(label: "test"))
        do throws(PluginLoadError) {
            let described = try plugin.describe()
            plugin.shutdown()
            Issue.record("described \(described.descriptor.name)")
            return ""
        } catch {
            #expect(error.code == .workerFailed)
            return error.message
        }
    }
}
