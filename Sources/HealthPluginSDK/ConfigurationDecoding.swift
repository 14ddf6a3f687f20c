import Foundation

/// Decodes a plugin's JSON configuration, with errors that name the key.
enum ConfigurationDecoding {
    static func decode<Configuration: Decodable>(_ type: Configuration.Type, from json: String) throws -> Configuration {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ConfigurationError(message: describe(error))
        }
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
