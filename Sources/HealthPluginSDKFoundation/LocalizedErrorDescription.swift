// HealthPluginSDKFoundation: link it into a Swift plugin whose errors are
// FoundationEssentials `LocalizedError`s, and a thrown error's `errorDescription`
// becomes the check's message (the SDK alone, which does not import FoundationEssentials,
// uses the error's `description`). Nothing to call: the SDK finds the function below in
// the plugin's library.
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The `errorDescription` of the `any Error` at `error`, as a `malloc`'d C string the SDK
/// frees; NULL when the error is not a `LocalizedError` or gives no description.
@c(hh_sdk_localized_description)
public func localizedErrorDescription(_ error: UnsafeRawPointer) -> UnsafeMutablePointer<CChar>? {
    let error = error.assumingMemoryBound(to: (any Error).self).pointee
    guard let text = (error as? any LocalizedError)?.errorDescription else { return nil }
    return strdup(text)
}
