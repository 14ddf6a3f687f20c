import HealthHTTP

/// A config value from a closed set of words; decoding names the allowed ones.
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

extension PluginsConfiguration.ErrorPolicy: ConfigEnum {}
extension PluginsConfiguration.Isolation: ConfigEnum {}
extension PluginsConfiguration.Trust: ConfigEnum {}
extension NativeDialectConfiguration.UnknownChecks: ConfigEnum {}
extension RequestLogPolicy: ConfigEnum {}
extension LoggingConfiguration.LogFormat: ConfigEnum {}
