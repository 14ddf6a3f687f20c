import HealthPluginABI

#if canImport(Glibc)
import Glibc
#endif

/// The configured arguments of one parameterized check, in the C shapes its calls need:
/// an `hh_arg` array for `hh_call.args`, and, for checks that take them as C arguments,
/// a prepared ``NativeCall``. Built once when the check is registered; read-only after, so
/// concurrent calls share it. Everything it allocates is freed with it.
final class BoundArguments: @unchecked Sendable {
    /// Text of the values declared `HH_PARAM_SECRET`, to scrub from what the check writes.
    let secrets: [String]
    /// `values` as `hh_arg`s (names and strings are copies owned here).
    let args: UnsafeMutablePointer<hh_arg>
    let count: Int
    /// How to call the check with the values as C arguments; `nil` for
    /// `HH_CHECK_ARGS_IN_CALL` checks, which read `hh_call.args`.
    let nativeCall: NativeCall?
    private let ownedStrings: [UnsafeMutablePointer<CChar>]

    /// `values[i]` is the argument of `parameters[i]`, already of its kind.
    init(parameters: [ParameterDescription], values: [ParameterValue], argumentsInCall: Bool) throws(ArgumentBindingError) {
        guard parameters.count == values.count else {
            throw ArgumentBindingError("\(values.count) values for \(parameters.count) parameters")
        }
        var owned: [UnsafeMutablePointer<CChar>] = []
        func copy(_ text: String) -> UnsafePointer<CChar>? {
            guard let pointer = strdup(text) else { return nil }
            owned.append(pointer)
            return UnsafePointer(pointer)
        }
        let args = UnsafeMutablePointer<hh_arg>.allocate(capacity: max(1, values.count))
        for (index, (parameter, value)) in zip(parameters, values).enumerated() {
            var arg = hh_arg()
            arg.name = copy(parameter.name)
            switch value {
            case .string(let text):
                arg.type = HH_PARAM_STRING.rawValue
                arg.string_value = copy(text)
            case .int(let number):
                arg.type = HH_PARAM_INT.rawValue
                arg.int_value = number
            case .double(let number):
                arg.type = HH_PARAM_DOUBLE.rawValue
                arg.double_value = number
            case .bool(let flag):
                arg.type = HH_PARAM_BOOL.rawValue
                arg.bool_value = flag
            }
            (args + index).initialize(to: arg)
        }
        self.args = args
        self.count = values.count
        self.ownedStrings = owned
        self.secrets = zip(parameters, values).compactMap { parameter, value in
            guard parameter.isSecret else { return nil }
            let text = value.text
            return text.isEmpty ? nil : text
        }
        if argumentsInCall {
            self.nativeCall = nil
        } else {
            let argsCopy = UnsafeBufferPointer(start: args, count: values.count)
            do {
                self.nativeCall = try NativeCall(arguments: argsCopy)
            } catch {
                args.deallocate()
                for pointer in owned { free(pointer) }
                throw error
            }
        }
    }

    deinit {
        args.deinitialize(count: count)
        args.deallocate()
        for pointer in ownedStrings { free(pointer) }
    }

    /// `text` with every secret argument value replaced by `********`.
    func scrubbing(_ text: String) -> String { SecretScrubbing.scrub(text, secrets) }
}

/// Replaces known secret values in text a plugin wrote (messages, log lines).
enum SecretScrubbing {
    static func scrub(_ text: String, _ secrets: [String]) -> String {
        var scrubbed = text
        for secret in secrets where scrubbed.contains(secret) {
            scrubbed = scrubbed.replacing(secret, with: "********")
        }
        return scrubbed
    }
}

/// Why a check's arguments could not be prepared.
struct ArgumentBindingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
