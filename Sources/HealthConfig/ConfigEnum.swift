import HealthHTTP

/// A config value from a closed set of words; decoding names the allowed ones.
///
/// One concept, one type, mapped in one direction: where the module that acts on a
/// setting is one HealthConfig depends on, the config holds that module's own type
/// (``RequestLogPolicy`` from HealthHTTP; ``AccessSetting`` and
/// ``LoggingConfiguration/LogFormat`` are read as they are by the dialects and the log
/// handler). Where it is not (the plugin loader), the config enum is mapped to the
/// loader's type once, config → loader, by an exhaustive switch in HealthHostApp's
/// `PluginsConfiguration+Loader.swift`; nothing maps back.
protocol ConfigEnum: RawRepresentable<String>, CaseIterable, Decodable {}

extension ConfigEnum {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "expected one of \(allowed), found '\(text)'"))
        }
        self = value
    }
}

// HealthHTTP's own type, read from the config as it is.
extension RequestLogPolicy: ConfigEnum {}
