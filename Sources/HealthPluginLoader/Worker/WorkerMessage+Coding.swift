import HealthCore
import HealthJSON

/// A message of one direction of the worker protocol, as bytes on the socket.
protocol WorkerWireMessage: Sendable {
    /// The message as one packet: a binary ``CompactFrame`` or `J` and a JSON object.
    func encoded() throws(WorkerProtocolError) -> [UInt8]
    /// The message in one packet, or why it is not one of this direction.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) -> Self
}

extension HostMessage: WorkerWireMessage {
    func encoded() throws(WorkerProtocolError) -> [UInt8] {
        var fields: [String: JSONValue] = ["type": .string(type)]
        switch self {
        case .call(let request):
            return try CompactFrame.encode(request)
        case .initialize(let settingsJSON, let scalars):
            fields["version"] = .int(WorkerProtocol.version)
            fields["settings_json"] = .string(settingsJSON)
            fields["scalars"] = .object(scalars.mapValues { .string($0) })
        case .bind(let id, let check, let values):
            fields["id"] = .int(id)
            fields["check"] = .string(check)
            fields["values"] = .array(values.map { .object(["kind": .string($0.kind), "text": .string($0.text)]) })
        case .info(let id):
            fields["id"] = .int(id)
        case .shutdown:
            break
        }
        return try CompactFrame.json(fields, type: type)
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) -> HostMessage {
        switch try CompactFrame.kind(of: bytes) {
        case CompactFrame.call: return .call(try CompactFrame.decodeCall(bytes))
        case CompactFrame.json: break
        case let other: throw .unknownKind(other)
        }
        let message = try JSONMessage(bytes.dropFirst())
        switch message.type {
        case "init":
            try message.requireVersion()
            return .initialize(settingsJSON: try message.string("settings_json"), scalars: try message.strings("scalars"))
        case "bind":
            return .bind(id: try message.int("id"), check: try message.string("check"), values: try message.wireValues("values"))
        case "info":
            return .info(id: try message.int("id"))
        case "shutdown":
            return .shutdown
        default:
            throw .unknownType(message.type)
        }
    }
}

extension WorkerMessage: WorkerWireMessage {
    func encoded() throws(WorkerProtocolError) -> [UInt8] {
        var fields: [String: JSONValue] = ["type": .string(type)]
        switch self {
        case .result(let id, let result):
            return try CompactFrame.encode(id: id, result)
        case .hello(let descriptor, let sha256):
            fields["version"] = .int(WorkerProtocol.version)
            do {
                fields["descriptor"] = try JSONValueEncoder().encode(descriptor)
            } catch {
                throw .invalidField(type: type, field: "descriptor", expected: "encodable")
            }
            fields["sha256"] = .string(sha256)
        case .loadFailed(let code, let message):
            fields["code"] = .string(code)
            fields["message"] = .string(message)
        case .ready:
            break
        case .bound(let id):
            fields["id"] = .int(id)
        case .bindFailed(let id, let code, let message):
            fields["id"] = .int(id)
            if let code { fields["code"] = .string(code) }
            fields["message"] = .string(message)
        case .infoResult(let id, let answer):
            fields["id"] = .int(id)
            switch answer {
            case .entries(let entries): fields["entries"] = .array(entries.map { .array([.string($0.key), .string($0.value)]) })
            case .failed(let reason): fields["message"] = .string(reason)
            }
        case .log(let level, let message):
            fields["level"] = .string(level)
            fields["message"] = .string(message)
        }
        return try CompactFrame.json(fields, type: type)
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) -> WorkerMessage {
        switch try CompactFrame.kind(of: bytes) {
        case CompactFrame.result:
            let (id, result) = try CompactFrame.decodeResult(bytes)
            return .result(id: id, result)
        case CompactFrame.json: break
        case let other: throw .unknownKind(other)
        }
        let message = try JSONMessage(bytes.dropFirst())
        switch message.type {
        case "hello":
            // The version first: another version may shape the rest differently.
            try message.requireVersion()
            return .hello(descriptor: try message.descriptor("descriptor"), sha256: try message.string("sha256"))
        case "load_failed":
            return .loadFailed(code: try message.string("code"), message: try message.string("message"))
        case "ready":
            return .ready
        case "bound":
            return .bound(id: try message.int("id"))
        case "bind_failed":
            return .bindFailed(
                id: try message.int("id"), code: try message.optionalString("code"), message: try message.string("message"))
        case "info_result":
            let id = try message.int("id")
            if message.has("entries") { return .infoResult(id: id, .entries(try message.infoEntries("entries"))) }
            return .infoResult(id: id, .failed(try message.string("message")))
        case "log":
            return .log(level: try message.string("level"), message: try message.string("message"))
        default:
            throw .unknownType(message.type)
        }
    }
}

/// The fields of one JSON message, read with errors that name the message and the field.
private struct JSONMessage {
    let type: String
    private let fields: [String: JSONValue]

    init(_ bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .notJSON(error.description)
        }
        guard case .object(let fields) = value else { throw .notAnObject }
        guard let type = fields["type"] else { throw .missingType }
        guard case .string(let name) = type else { throw .invalidField(type: "?", field: "type", expected: "a string") }
        self.type = name
        self.fields = fields
    }

    func has(_ field: String) -> Bool {
        if case nil = fields[field] { return false }
        if case .null? = fields[field] { return false }
        return true
    }

    private func value(_ field: String) throws(WorkerProtocolError) -> JSONValue {
        guard let value = fields[field], value != .null else { throw .missingField(type: type, field: field) }
        return value
    }

    func requireVersion() throws(WorkerProtocolError) {
        let version = try int("version")
        guard version == WorkerProtocol.version else {
            throw .versionMismatch(received: version, expected: WorkerProtocol.version)
        }
    }

    func string(_ field: String) throws(WorkerProtocolError) -> String {
        guard case .string(let text) = try value(field) else { throw .invalidField(type: type, field: field, expected: "a string") }
        return text
    }

    func optionalString(_ field: String) throws(WorkerProtocolError) -> String? {
        has(field) ? try string(field) : nil
    }

    func int(_ field: String) throws(WorkerProtocolError) -> Int {
        switch try value(field) {
        case .int(let number): return number
        case .double(let real) where real.rounded() == real && abs(real) < 0x1p53: return Int(real)
        default: throw .invalidField(type: type, field: field, expected: "an integer")
        }
    }

    func strings(_ field: String) throws(WorkerProtocolError) -> [String: String] {
        guard case .object(let object) = try value(field) else {
            throw .invalidField(type: type, field: field, expected: "an object of strings")
        }
        var strings: [String: String] = [:]
        for (key, value) in object {
            guard case .string(let text) = value else {
                throw .invalidField(type: type, field: field, expected: "an object of strings")
            }
            strings[key] = text
        }
        return strings
    }

    func wireValues(_ field: String) throws(WorkerProtocolError) -> [WireValue] {
        let expected = "an array of {kind, text} strings"
        guard case .array(let items) = try value(field) else { throw .invalidField(type: type, field: field, expected: expected) }
        var values: [WireValue] = []
        for item in items {
            guard case .object(let object) = item, case .string(let kind)? = object["kind"], case .string(let text)? = object["text"]
            else { throw .invalidField(type: type, field: field, expected: expected) }
            values.append(WireValue(kind: kind, text: text))
        }
        return values
    }

    func infoEntries(_ field: String) throws(WorkerProtocolError) -> [InfoEntry] {
        let expected = "an array of [key, value] strings"
        guard case .array(let items) = try value(field) else { throw .invalidField(type: type, field: field, expected: expected) }
        var entries: [InfoEntry] = []
        for item in items {
            guard case .array(let pair) = item, pair.count == 2, case .string(let key) = pair[0], case .string(let value) = pair[1]
            else { throw .invalidField(type: type, field: field, expected: expected) }
            entries.append(InfoEntry(key: key, value: value))
        }
        return entries
    }

    func descriptor(_ field: String) throws(WorkerProtocolError) -> WireDescriptor {
        let value = try value(field)
        do {
            return try JSONValueDecoder().decode(WireDescriptor.self, from: value)
        } catch {
            throw .invalidField(type: type, field: field, expected: "a plugin description")
        }
    }
}
