import HealthPluginABI

/// Copies Swift values into the host's C buffers: bounded by their capacity, always
/// NUL-terminated, never cutting a UTF-8 character in half.
enum ResultWriter {
    static func write(_ result: CheckResult, to out: UnsafeMutablePointer<hh_result>) {
        copy(result.message, into: out.pointee.message, capacity: Int(out.pointee.message_capacity))
        if let value = result.observedValue {
            out.pointee.has_observed_value = true
            out.pointee.observed_value = value
            copy(result.unit, into: out.pointee.unit, capacity: Int(out.pointee.unit_capacity))
        }
    }

    /// Writes at most `capacity - 1` bytes of `text` and a NUL. Stops early at an
    /// embedded NUL (C would stop there anyway).
    static func copy(_ text: String, into buffer: UnsafeMutablePointer<CChar>?, capacity: Int) {
        guard let buffer, capacity > 0 else { return }
        let limit = capacity - 1
        var written = 0
        for scalar in text.unicodeScalars {
            if scalar.value == 0 { break }
            let length = UTF8.width(scalar)
            if written + length > limit { break }
            UTF8.encode(scalar) { byte in
                buffer[written] = CChar(bitPattern: byte)
                written += 1
            }
        }
        buffer[written] = 0
    }

    /// The text of a thrown error: `LocalizedError.errorDescription` when given (with
    /// `HealthPluginSDKFoundation` linked), else its `description`, else its type and
    /// value (`PlainError.brokenPipe`).
    static func describe(_ error: any Error) -> String {
        if let localized = LocalizedErrorBridge.description(of: error) { return localized }
        let text = String(describing: error)
        // A plain enum case prints as its bare name ("brokenPipe"); say whose it is.
        if String(reflecting: error).hasSuffix(".\(text)") && !text.contains(" ") { return "\(type(of: error)).\(text)" }
        return text
    }
}
