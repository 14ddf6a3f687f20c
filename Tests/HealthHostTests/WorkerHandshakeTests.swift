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
/// but no plugin and no sleep in the test: the script waits for its socket to close.
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
        try FakeWorkerScript.write("\(body)\ncat <&3 >/dev/null")
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

/// The other direction: the real worker binary, sent `init` of another version, refuses
/// it with `load_failed` naming both versions and itself.
@Suite(.timeLimit(.minutes(1)))
struct WorkerInitVersionTests {
    @Test func theWorkerRefusesAnInitOfAnotherVersion() throws {
        let policy = IsolationPolicy(defaultIsolation: .process, bundled: .nothing, workerExecutable: TestPaths.executable)
        let process = try WorkerProcess.launch(
            path: TestPaths.builtLibrary("libhh-core.so"), policy: policy, generation: 1, output: OutputTail(),
            logger: Logger(label: "test"))
        defer { process.kill() }
        guard case .message(.hello(let descriptor, _))? = process.socket.receive(WorkerMessage.self, within: .seconds(20)) else {
            Issue.record("no hello from the worker")
            return
        }
        #expect(descriptor.name == "core")
        let init2 = Array(#"J{"scalars":{},"settings_json":"{}","type":"init","version":2}"#.utf8)
        let sent = init2.withUnsafeBytes { send(process.socket.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(sent == init2.count)
        guard case .message(.loadFailed(let code, let message))? = process.socket.receive(WorkerMessage.self, within: .seconds(20))
        else {
            Issue.record("the worker did not refuse the init")
            return
        }
        #expect(code == "workerFailed")
        #expect(message.contains("version 2") && message.contains("speaks version 1"), "\(message)")
        #expect(message.contains("healthhost"), "names the worker binary: \(message)")
    }
}
