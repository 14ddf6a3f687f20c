import HealthCore
@testable import HealthPluginLoader
import Testing

/// The worker protocol as values: every message of each direction survives its own
/// encoding, and every kind of malformed packet is refused with an error that says what
/// is wrong. No process, no socket (IsolationTests speaks it end to end).
@Suite(.timeLimit(.minutes(1)))
struct WorkerProtocolTests {
    static let descriptor = WireDescriptor(
        name: "demo", version: "1.2.3", summary: "a demo", abiMajor: 1, abiMinor: 3, swiftVersion: nil, infoSection: "demo",
        checks: [
            .init(
                name: "disk", summary: "free space", isDefault: true, isThreadSafe: false, timeoutMs: 1500,
                argumentsInCall: true,
                parameters: [
                    .init(name: "path", kind: "string", isSecret: false, defaultValue: "/", summary: "where"),
                    .init(name: "token", kind: "string", isSecret: true, defaultValue: nil, summary: "secret"),
                ]),
            .init(
                name: "ping", summary: "", isDefault: false, isThreadSafe: true, timeoutMs: nil, argumentsInCall: false,
                parameters: []),
        ])

    static let hostMessages: [HostMessage] = [
        .initialize(settingsJSON: #"{"a":[1,2]}"#, scalars: ["a": "1", "ünï": "cödé"]),
        .initialize(settingsJSON: "{}", scalars: [:]),
        .bind(id: 7, check: "disk", values: [WireValue(kind: "string", text: "/var"), WireValue(kind: "int", text: "3")]),
        .bind(id: 8, check: "ping", values: []),
        .call(CallRequest(id: 9, check: "disk", binding: 7, configuredName: "root disk", timeout: .milliseconds(2500))),
        .call(CallRequest(id: Int(Int32.max) + 5, check: "ping", binding: nil, configuredName: "", timeout: .zero)),
        .info(id: 10),
        .shutdown,
    ]

    static let workerMessages: [WorkerMessage] = [
        .hello(descriptor: descriptor, sha256: String(repeating: "ab", count: 32)),
        .loadFailed(code: "initFailed", message: "init failed: no config"),
        .ready,
        .bound(id: 3),
        .bindFailed(id: 4, code: "invalidArguments", message: "port out of range"),
        .bindFailed(id: 5, code: nil, message: "no check 'x'"),
        .result(id: 6, CheckResult(status: .warn, message: "slow, 📉", observedValue: 12.5, observedUnit: "ms")),
        .result(id: 7, CheckResult(status: .fail, message: "", observedValue: nil, observedUnit: "")),
        .result(id: 8, CheckResult(status: .pass, message: "ok", observedValue: -0.0, observedUnit: "")),
        .infoResult(id: 9, .entries([InfoEntry(key: "version", value: "7.2"), InfoEntry(key: "role", value: "primary")])),
        .infoResult(id: 10, .entries([])),
        .infoResult(id: 11, .failed("the plugin has no info section")),
        .log(level: "warning", message: "disk almost full"),
    ]

    @Test(arguments: hostMessages) func everyHostMessageRoundTrips(_ message: HostMessage) throws {
        let bytes = try message.encoded()
        #expect(try HostMessage.decode(bytes[...]) == message)
    }

    @Test(arguments: workerMessages) func everyWorkerMessageRoundTrips(_ message: WorkerMessage) throws {
        let bytes = try message.encoded()
        #expect(try WorkerMessage.decode(bytes[...]) == message)
    }

    @Test func callAndResultAreBinaryAndTheRestJSON() throws {
        for message in Self.hostMessages {
            let first = try message.encoded().first
            #expect(first == (message.type == "call" ? UInt8(ascii: "C") : UInt8(ascii: "J")), "\(message.type)")
        }
        for message in Self.workerMessages {
            let first = try message.encoded().first
            #expect(first == (message.type == "result" ? UInt8(ascii: "R") : UInt8(ascii: "J")), "\(message.type)")
        }
    }

    /// The bytes of version 1 as the previous `WorkerFrame` coding wrote them: the wire
    /// did not change with the enums.
    @Test func theWireIsTheOneVersionOneAlwaysHad() throws {
        #expect(text(try HostMessage.shutdown.encoded()) == #"J{"type":"shutdown"}"#)
        #expect(text(try HostMessage.info(id: 4).encoded()) == #"J{"id":4,"type":"info"}"#)
        #expect(
            text(try HostMessage.initialize(settingsJSON: "{}", scalars: ["k": "v"]).encoded())
                == #"J{"scalars":{"k":"v"},"settings_json":"{}","type":"init","version":1}"#)
        #expect(text(try WorkerMessage.ready.encoded()) == #"J{"type":"ready"}"#)
        #expect(
            text(try WorkerMessage.bindFailed(id: 2, code: nil, message: "m").encoded())
                == #"J{"id":2,"message":"m","type":"bind_failed"}"#)
        #expect(
            text(try WorkerMessage.infoResult(id: 1, .entries([InfoEntry(key: "a", value: "b")])).encoded())
                == #"J{"entries":[["a","b"]],"id":1,"type":"info_result"}"#)
        let call = try HostMessage.call(
            CallRequest(id: 1, check: "c", binding: nil, configuredName: "n", timeout: .milliseconds(258))
        ).encoded()
        #expect(
            call == [UInt8(ascii: "C"), 1, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xff, count: 8) + [2, 1, 0, 0]
                + [1, 0, UInt8(ascii: "c"), 1, 0, UInt8(ascii: "n")])
    }

    // MARK: Malformed packets

    @Test func anUnknownTypeIsNamed() {
        expect(WorkerMessage.self, json: #"{"type":"bye"}"#, fails: .unknownType("bye"))
        // Each direction has its own types: a worker's message is unknown to the worker.
        expect(HostMessage.self, json: #"{"type":"ready"}"#, fails: .unknownType("ready"))
        expect(WorkerMessage.self, json: #"{"type":"shutdown"}"#, fails: .unknownType("shutdown"))
    }

    @Test func aMissingFieldIsNamedWithItsMessage() {
        expect(WorkerMessage.self, json: #"{"type":"bound"}"#, fails: .missingField(type: "bound", field: "id"))
        expect(WorkerMessage.self, json: #"{"type":"log","level":"info"}"#, fails: .missingField(type: "log", field: "message"))
        expect(
            WorkerMessage.self, json: #"{"type":"hello","version":1,"sha256":"x"}"#,
            fails: .missingField(type: "hello", field: "descriptor"))
        expect(HostMessage.self, json: #"{"type":"bind","id":1,"check":"c"}"#, fails: .missingField(type: "bind", field: "values"))
        expect(
            HostMessage.self, json: #"{"type":"init","version":1,"scalars":{}}"#,
            fails: .missingField(type: "init", field: "settings_json"))
        expect(WorkerMessage.self, json: #"{"type":"info_result","id":1}"#, fails: .missingField(type: "info_result", field: "message"))
        expect(WorkerMessage.self, json: #"{"id":1}"#, fails: .missingType)
    }

    @Test func aFieldOfTheWrongShapeIsNamed() {
        expect(
            WorkerMessage.self, json: #"{"type":"bound","id":"1"}"#,
            fails: .invalidField(type: "bound", field: "id", expected: "an integer"))
        expect(
            WorkerMessage.self, json: #"{"type":"info_result","id":1,"entries":[["a"]]}"#,
            fails: .invalidField(type: "info_result", field: "entries", expected: "an array of [key, value] strings"))
        expect(
            WorkerMessage.self, json: #"{"type":"hello","version":1,"sha256":"x","descriptor":{"name":1}}"#,
            fails: .invalidField(type: "hello", field: "descriptor", expected: "a plugin description"))
        expect(
            HostMessage.self, json: #"{"type":"init","version":1,"settings_json":"{}","scalars":{"a":1}}"#,
            fails: .invalidField(type: "init", field: "scalars", expected: "an object of strings"))
        expect(WorkerMessage.self, json: "[1]", fails: .notAnObject)
        #expect(throws: WorkerProtocolError.self) { try WorkerMessage.decode(self.packet("{\"type\":")) }
    }

    @Test func anotherVersionIsRefusedBeforeTheRestIsRead() {
        // Version 2 may shape `hello` differently: its version is all that is read.
        expect(
            WorkerMessage.self, json: #"{"type":"hello","version":2,"shape":"new"}"#,
            fails: .versionMismatch(received: 2, expected: 1))
        expect(
            HostMessage.self, json: #"{"type":"init","version":0,"settings_json":"{}","scalars":{}}"#,
            fails: .versionMismatch(received: 0, expected: 1))
        expect(WorkerMessage.self, json: #"{"type":"hello"}"#, fails: .missingField(type: "hello", field: "version"))
        let error = WorkerProtocolError.versionMismatch(received: 2, expected: 1)
        #expect(error.description.contains("version 2") && error.description.contains("version 1"))
    }

    @Test func everyTruncationOfACallOrResultIsRefused() throws {
        let call = try HostMessage.call(
            CallRequest(id: 1, check: "disk", binding: 2, configuredName: "root", timeout: .seconds(1))
        ).encoded()
        for length in 1..<call.count {
            #expect(throws: WorkerProtocolError.truncated(type: "call")) { try HostMessage.decode(call[0..<length]) }
        }
        let result = try WorkerMessage.result(id: 1, CheckResult(status: .pass, message: "ok", observedValue: 1, observedUnit: "s"))
            .encoded()
        for length in 1..<result.count {
            #expect(throws: WorkerProtocolError.truncated(type: "result")) { try WorkerMessage.decode(result[0..<length]) }
        }
        #expect(throws: WorkerProtocolError.trailingBytes(type: "call", count: 1)) { try HostMessage.decode((call + [0])[...]) }
    }

    @Test func aResultWithoutAValidStatusIsRefused() throws {
        var result = try WorkerMessage.result(id: 1, .pass("ok")).encoded()
        result[9] = 7  // status, after the kind byte and the 8-byte id
        #expect(throws: WorkerProtocolError.invalidField(type: "result", field: "status", expected: "0, 1 or 2")) {
            try WorkerMessage.decode(result[...])
        }
    }

    @Test func packetsOfTheWrongKindSizeOrDirectionAreRefused() throws {
        #expect(throws: WorkerProtocolError.empty) { try WorkerMessage.decode([][...]) }
        #expect(throws: WorkerProtocolError.unknownKind(UInt8(ascii: "X"))) { try WorkerMessage.decode([UInt8(ascii: "X")][...]) }
        let call = try HostMessage.call(CallRequest(id: 1, check: "c", binding: nil, configuredName: "c", timeout: .zero))
            .encoded()
        #expect(throws: WorkerProtocolError.unknownKind(UInt8(ascii: "C"))) { try WorkerMessage.decode(call[...]) }
        let oversized = [UInt8(ascii: "J")] + [UInt8](repeating: 0x20, count: WorkerProtocol.maximumBytes)
        #expect(throws: WorkerProtocolError.oversized(WorkerProtocol.maximumBytes + 1)) { try WorkerMessage.decode(oversized[...]) }
        let huge = WorkerMessage.log(level: "info", message: String(repeating: "x", count: WorkerProtocol.maximumBytes))
        #expect(throws: WorkerProtocolError.self) { try huge.encoded() }
    }

    // MARK: Helpers

    private func packet(_ json: String) -> ArraySlice<UInt8> { ([UInt8(ascii: "J")] + Array(json.utf8))[...] }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func expect<Message: WorkerWireMessage>(
        _: Message.Type, json: String, fails expected: WorkerProtocolError, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do throws(WorkerProtocolError) {
            let message = try Message.decode(packet(json))
            Issue.record("decoded \(message) from \(json)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == expected, "\(json)", sourceLocation: sourceLocation)
        }
    }
}
