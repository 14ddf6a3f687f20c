import HealthJSON

#if canImport(Glibc)
    import Glibc
#endif

/// The messages between the host and an isolated plugin's worker process: one frame
/// per `SOCK_SEQPACKET` message (the kernel keeps the boundaries), at most
/// ``maximumBytes`` each; `call` and `result` in a fixed binary layout
/// (``CompactFrame``), the rest as JSON objects. Version 1:
///
/// | from | type | fields |
/// |---|---|---|
/// | worker | `hello` | `version`, `descriptor`, `sha256` (the plugin file opened and validated, before `init`) — or `load_failed`: `code`, `message` |
/// | host | `init` | `version`, `settings_json`, `scalars` — worker: `ready`, or `load_failed`: `code`, `message` |
/// | host | `bind` | `id`, `check`, `values` (one per declared parameter) — worker: `bound` or `bind_failed` |
/// | host | `call` | `id`, `check`, `binding`, `configured_name`, `timeout_ms` — worker: `result` |
/// | host | `info` | `id` — worker: `info_result` (`entries` or `message`) |
/// | worker | `log` | `level`, `message` (what the plugin logged) |
/// | host | `shutdown` | — the worker calls the plugin's `shutdown` and exits 0 |
///
/// The worker also exits when its socket reaches EOF (the host is gone).
struct WorkerFrame: Codable, Sendable {
    static let version = 1
    /// The largest message either side sends or accepts.
    static let maximumBytes = 64 * 1024

    var type: String
    var version: Int?
    var id: Int?
    var check: String?
    var binding: Int?
    var configuredName: String?
    var timeoutMs: Int?
    var settingsJSON: String?
    var scalars: [String: String]?
    var values: [WireValue]?
    var descriptor: WireDescriptor?
    var sha256: String?
    var code: String?
    var status: Int?
    var message: String?
    var observedValue: Double?
    var unit: String?
    var level: String?
    var entries: [[String]]?

    init(type: String) { self.type = type }

    enum CodingKeys: String, CodingKey {
        case type, version, id, check, binding
        case configuredName = "configured_name"
        case timeoutMs = "timeout_ms"
        case settingsJSON = "settings_json"
        case scalars
        case values, descriptor, sha256, code, status, message
        case observedValue = "observed_value"
        case unit, level, entries
    }
}

/// A parameter value on the wire: its kind and its text.
struct WireValue: Codable, Sendable {
    var kind: String
    var text: String
}

/// A plugin description on the wire: everything but the C function pointers.
struct WireDescriptor: Codable, Sendable {
    struct Check: Codable, Sendable {
        var name: String
        var summary: String
        var isDefault: Bool
        var isThreadSafe: Bool
        var timeoutMs: Int?
        var argumentsInCall: Bool
        var parameters: [Parameter]
    }

    struct Parameter: Codable, Sendable {
        var name: String
        var kind: String
        var isSecret: Bool
        var defaultValue: String?
        var summary: String
    }

    var name: String
    var version: String
    var summary: String
    var abiMajor: Int
    var abiMinor: Int
    var swiftVersion: String?
    var infoSection: String?
    var checks: [Check]

    init(_ descriptor: PluginDescriptor) {
        name = descriptor.name
        version = descriptor.version
        summary = descriptor.summary
        abiMajor = descriptor.abiVersion.major
        abiMinor = descriptor.abiVersion.minor
        swiftVersion = descriptor.swiftVersion
        infoSection = descriptor.infoSection
        checks = descriptor.checks.map { check in
            Check(
                name: check.name, summary: check.summary, isDefault: check.isDefault, isThreadSafe: check.isThreadSafe,
                timeoutMs: check.suggestedTimeout.map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) },
                argumentsInCall: check.argumentsInCall,
                parameters: check.parameters.map {
                    Parameter(
                        name: $0.name, kind: $0.kind.rawValue, isSecret: $0.isSecret, defaultValue: $0.defaultValue,
                        summary: $0.summary)
                })
        }
    }

    /// The description the host registers checks from; its checks have no C entry point.
    func decoded() -> PluginDescriptor? {
        var checks: [CheckDescription] = []
        for check in self.checks {
            var parameters: [ParameterDescription] = []
            for parameter in check.parameters {
                guard let kind = ParameterDescription.Kind(rawValue: parameter.kind) else { return nil }
                parameters.append(
                    ParameterDescription(
                        name: parameter.name, kind: kind, isSecret: parameter.isSecret,
                        defaultValue: parameter.defaultValue, summary: parameter.summary))
            }
            checks.append(
                CheckDescription(
                    name: check.name, summary: check.summary, isDefault: check.isDefault, isThreadSafe: check.isThreadSafe,
                    suggestedTimeout: check.timeoutMs.map { .milliseconds($0) }, parameters: parameters,
                    argumentsInCall: check.argumentsInCall, entryPoint: nil))
        }
        return PluginDescriptor(
            name: name, version: version, summary: summary, abiVersion: ABIVersion(major: abiMajor, minor: abiMinor),
            swiftVersion: swiftVersion, checks: checks, infoSection: infoSection,
            hooks: PluginHooks(initialize: nil, shutdown: nil, info: nil))
    }
}

/// Sends and receives ``WorkerFrame``s on one end of a `SOCK_SEQPACKET` socket pair.
/// Sends from several threads are safe (each is one message); one thread receives.
struct FrameSocket: Sendable {
    let descriptor: Int32

    /// Creates a connected pair, both ends close-on-exec.
    static func pair() -> (FrameSocket, FrameSocket)? {
        var descriptors: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0
        else { return nil }
        return (FrameSocket(descriptor: descriptors[0]), FrameSocket(descriptor: descriptors[1]))
    }

    /// Sends one frame; `false` when the peer is gone or the frame is too large.
    @discardableResult
    func send(_ frame: WorkerFrame) -> Bool {
        var bytes: [UInt8]
        if let compact = CompactFrame.encode(frame) {
            bytes = compact
        } else {
            guard let value = try? JSONValueEncoder().encode(frame) else { return false }
            var text = JSONText()
            text.value(value)
            bytes = [CompactFrame.json] + text.bytes
        }
        guard bytes.count <= WorkerFrame.maximumBytes else { return false }
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }

    /// What ``receive()`` found.
    enum Received {
        case frame(WorkerFrame)
        /// The peer closed its end (or died).
        case closed
        /// A message that is not a frame of this protocol.
        case invalid(String)
    }

    /// Blocks until the next frame.
    func receive() -> Received {
        var buffer = [UInt8](repeating: 0, count: WorkerFrame.maximumBytes + 1)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .closed }
            guard count <= WorkerFrame.maximumBytes else { return .invalid("a message over \(WorkerFrame.maximumBytes) bytes") }
            if buffer[0] != CompactFrame.json {
                guard let frame = CompactFrame.decode(buffer[0..<count]) else { return .invalid("a malformed call or result") }
                return .frame(frame)
            }
            do {
                return .frame(try JSONValueDecoder().decode(WorkerFrame.self, fromJSON: buffer[1..<count]))
            } catch {
                return .invalid("a message that is not a frame: \(error)")
            }
        }
    }

    /// Waits up to `timeout` for a frame; `nil` when none came in time.
    func receive(within timeout: Duration) -> Received? {
        var pollFD = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&pollFD, 1, max(0, milliseconds))
        guard ready > 0 else { return nil }
        return receive()
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// The two frames of every call, `call` and `result`, in a fixed binary layout: JSON
/// coding was a third of a round trip. Every other frame is JSON behind a `J` byte.
///
/// `C` id:u64 binding:i64 (-1: none) timeout_ms:u32 check:str16 configured_name:str16
/// `R` id:u64 status:i32 has_value:u8 value:f64 message:str32 unit:str16
/// (little-endian; strN is an N-bit byte count and the UTF-8 bytes).
enum CompactFrame {
    static let json = UInt8(ascii: "J")
    static let call = UInt8(ascii: "C")
    static let result = UInt8(ascii: "R")

    static func encode(_ frame: WorkerFrame) -> [UInt8]? {
        var out: [UInt8] = []
        switch frame.type {
        case "call":
            guard let id = frame.id, let check = frame.check else { return nil }
            out.reserveCapacity(64)
            out.append(call)
            append(UInt64(id), to: &out)
            append(UInt64(bitPattern: Int64(frame.binding ?? -1)), to: &out)
            append(UInt32(clamping: frame.timeoutMs ?? 0), to: &out)
            guard appendString(check, width: 2, to: &out), appendString(frame.configuredName ?? check, width: 2, to: &out)
            else { return nil }
        case "result":
            guard let id = frame.id, let status = frame.status else { return nil }
            out.reserveCapacity(64 + (frame.message?.utf8.count ?? 0))
            out.append(result)
            append(UInt64(id), to: &out)
            append(UInt32(bitPattern: Int32(clamping: status)), to: &out)
            out.append(frame.observedValue == nil ? 0 : 1)
            append((frame.observedValue ?? 0).bitPattern, to: &out)
            guard appendString(frame.message ?? "", width: 4, to: &out), appendString(frame.unit ?? "", width: 2, to: &out)
            else { return nil }
        default:
            return nil
        }
        return out
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> WorkerFrame? {
        var reader = Reader(bytes: bytes)
        guard let kind = reader.byte() else { return nil }
        switch kind {
        case call:
            var frame = WorkerFrame(type: "call")
            guard let id = reader.integer(UInt64.self), let binding = reader.integer(UInt64.self),
                let timeout = reader.integer(UInt32.self), let check = reader.string(width: 2),
                let name = reader.string(width: 2)
            else { return nil }
            frame.id = Int(truncatingIfNeeded: id)
            let signed = Int64(bitPattern: binding)
            frame.binding = signed < 0 ? nil : Int(signed)
            frame.timeoutMs = Int(timeout)
            frame.check = check
            frame.configuredName = name
            return frame
        case result:
            var frame = WorkerFrame(type: "result")
            guard let id = reader.integer(UInt64.self), let status = reader.integer(UInt32.self),
                let hasValue = reader.byte(), let value = reader.integer(UInt64.self),
                let message = reader.string(width: 4), let unit = reader.string(width: 2)
            else { return nil }
            frame.id = Int(truncatingIfNeeded: id)
            frame.status = Int(Int32(bitPattern: status))
            frame.observedValue = hasValue == 1 ? Double(bitPattern: value) : nil
            frame.message = message
            frame.unit = unit
            return frame
        default:
            return nil
        }
    }

    private static func append<Integer: FixedWidthInteger>(_ value: Integer, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func appendString(_ text: String, width: Int, to out: inout [UInt8]) -> Bool {
        let bytes = Array(text.utf8)
        if width == 2 {
            guard bytes.count <= Int(UInt16.max) else { return false }
            append(UInt16(bytes.count), to: &out)
        } else {
            guard bytes.count <= WorkerFrame.maximumBytes else { return false }
            append(UInt32(bytes.count), to: &out)
        }
        out.append(contentsOf: bytes)
        return true
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func byte() -> UInt8? { bytes.popFirst() }

        mutating func integer<Integer: FixedWidthInteger>(_ type: Integer.Type) -> Integer? {
            let size = MemoryLayout<Integer>.size
            guard bytes.count >= size else { return nil }
            var value: Integer = 0
            for (shift, byte) in bytes.prefix(size).enumerated() { value |= Integer(byte) << (8 * shift) }
            bytes = bytes.dropFirst(size)
            return value
        }

        mutating func string(width: Int) -> String? {
            let count: Int?
            if width == 2 { count = integer(UInt16.self).map(Int.init) } else { count = integer(UInt32.self).map(Int.init) }
            guard let count, bytes.count >= count else { return nil }
            let text = String(decoding: bytes.prefix(count), as: UTF8.self)
            bytes = bytes.dropFirst(count)
            return text
        }
    }
}
