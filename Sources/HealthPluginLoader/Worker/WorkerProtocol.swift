/// The protocol between the host and an isolated plugin's worker process: one message
/// per `SOCK_SEQPACKET` packet (the kernel keeps the boundaries), at most
/// ``maximumBytes`` each. `call` and `result` travel in a fixed binary layout
/// (``CompactFrame``), every other message as a JSON object behind a `J` byte
/// (``HostMessage/encoded()``, ``WorkerMessage/encoded()``). The worker says the
/// protocol ``version`` in `hello`, the host in `init`; either side refuses another.
///
/// | from | type | fields |
/// |---|---|---|
/// | worker | `hello` | `version`, `descriptor`, `sha256` (the file opened and validated, before `init`) — or `load_failed`: `code`, `message` |
/// | host | `init` | `version`, `settings_json`, `scalars` — worker: `ready`, or `load_failed`: `code`, `message` |
/// | host | `bind` | `id`, `check`, `values` (one per parameter) — worker: `bound` (`id`) or `bind_failed` (`id`, `message`, `code` if any) |
/// | host | `call` | `id`, `check`, `binding`, `configured_name`, `timeout_ms` — worker: `result` (`id`, `status`, `message`, `value`, `unit`) |
/// | host | `info` | `id` — worker: `info_result` (`id`, then `entries` or `message`) |
/// | worker | `log` | `level`, `message` (what the plugin logged) |
/// | host | `shutdown` | — the worker calls the plugin's `shutdown` and exits 0 |
///
/// The worker also exits when its socket reaches EOF (the host is gone).
enum WorkerProtocol {
    /// The version this build speaks; a worker and a host of different builds may not.
    static let version = 1
    /// The largest message either side sends or accepts.
    static let maximumBytes = 64 * 1024
}

/// Why bytes are not a message of this protocol.
enum WorkerProtocolError: Error, Equatable, CustomStringConvertible {
    case empty
    case oversized(Int)
    case notJSON(String)
    case notAnObject
    case missingType
    /// A `type` this direction of the protocol does not have.
    case unknownType(String)
    case missingField(type: String, field: String)
    case invalidField(type: String, field: String, expected: String)
    /// The peer speaks protocol `received`; this side speaks `expected`.
    case versionMismatch(received: Int, expected: Int)
    /// A binary `call` or `result` that ends before its layout does.
    case truncated(type: String)
    /// A binary `call` or `result` with bytes after its layout.
    case trailingBytes(type: String, count: Int)
    /// A first byte that is neither `J`, `C` nor `R`, or the wrong one for this direction.
    case unknownKind(UInt8)
    /// A message too large for the wire (or a string for its length field).
    case tooLarge(type: String, bytes: Int)

    var description: String {
        switch self {
        case .empty: "an empty message"
        case .oversized(let count): "a message of \(count) bytes (at most \(WorkerProtocol.maximumBytes))"
        case .notJSON(let reason): "a message that is not JSON (\(reason))"
        case .notAnObject: "a JSON message that is not an object"
        case .missingType: "a message without a type"
        case .unknownType(let type): "a message of unknown type '\(type)'"
        case .missingField(let type, let field): "a '\(type)' message without '\(field)'"
        case .invalidField(let type, let field, let expected): "a '\(type)' message whose '\(field)' is not \(expected)"
        case .versionMismatch(let received, let expected):
            "worker protocol version \(received), but this side speaks version \(expected)"
        case .truncated(let type): "a truncated binary '\(type)'"
        case .trailingBytes(let type, let count): "a binary '\(type)' with \(count) bytes after its end"
        case .unknownKind(let byte): "a message starting with byte \(byte), which is no message of this direction"
        case .tooLarge(let type, let bytes): "a '\(type)' of \(bytes) bytes, too large for the wire"
        }
    }
}
