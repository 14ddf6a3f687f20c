import HealthJSON

/// Where the decoding pass finds its ``KeyRecorder``.
private let recorderKey = CodingUserInfoKey(rawValue: "healthhost.keyRecorder")

/// Decodes a plugin's JSON configuration, with errors that name the key.
enum ConfigurationDecoding {
    /// Decodes `json` into `type`; with `rejectingUnknownKeys`, a key that no property
    /// reads is an error naming it and the keys allowed there (as the host's own config).
    static func decode<Configuration: Decodable>(
        _ type: Configuration.Type, from json: String, rejectingUnknownKeys: Bool = true
    ) throws -> Configuration {
        let tree: JSONValue
        do {
            tree = try JSONParser.parse(json)
        } catch {
            throw ConfigurationError(message: "config: \(error)")
        }
        var decoder = JSONValueDecoder()
        decoder.keyDecoding = .convertFromSnakeCase
        let recorder = KeyRecorder()
        if let key = recorderKey { decoder.userInfo[key] = recorder }
        let value: Configuration
        do {
            value = try decoder.decode(Recording<Configuration>.self, from: tree).value
        } catch let error as DecodingError {
            throw ConfigurationError(message: describe(error))
        }
        if rejectingUnknownKeys, let problem = unknownKey(in: tree, path: [], recorder: recorder) {
            throw ConfigurationError(message: problem)
        }
        return value
    }

    /// Decodes the configuration through a ``KeyRecordingDecoder``.
    private struct Recording<Value: Decodable>: Decodable {
        let value: Value

        init(from decoder: any Decoder) throws {
            guard let key = recorderKey, let recorder = decoder.userInfo[key] as? KeyRecorder else {
                value = try Value(from: decoder)
                return
            }
            value = try Value(from: KeyRecordingDecoder(base: decoder, recorder: recorder))
        }
    }

    /// The first key of the JSON that the decoded type never asked for.
    private static func unknownKey(in node: JSONValue, path: [String], recorder: KeyRecorder) -> String? {
        let object: [String: JSONValue]
        switch node {
        case .array(let items):
            for item in items {
                if let problem = unknownKey(in: item, path: path, recorder: recorder) { return problem }
            }
            return nil
        case .object(let members):
            object = members
        default:
            return nil
        }
        let here = path.joined(separator: ".")
        let known = recorder.keysByPath[here]
        let takesAll = recorder.takesAllKeys.contains(here)
        for rawKey in object.keys.sorted() {
            let key = JSONValueDecoder.camelCase(rawKey)
            if !takesAll, let known, !known.contains(key) {
                let place = path.isEmpty ? "" : " in \(path.map(snakeCase).joined(separator: "."))"
                let allowed = known.map(snakeCase).sorted().joined(separator: ", ")
                return "config: unknown key '\(rawKey)'\(place) (known keys here: \(allowed))"
            }
            if let value = object[rawKey], let problem = unknownKey(in: value, path: path + [key], recorder: recorder) {
                return problem
            }
        }
        return nil
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }.joined(separator: ".")
            return text.isEmpty ? "the configuration" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "config: missing key '\(snakeCase(key.stringValue))'\(parent)"
        case .typeMismatch(let type, let context):
            return "config: \(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "config: \(path(context.codingPath)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "config: \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "config: \(error)"
        }
    }

    /// `minFreeMb` -> `min_free_mb`, as the user wrote it in YAML.
    private static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// The plugin's configuration does not fit its `Decodable` type.
struct ConfigurationError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
