import Foundation
import HealthCore
import HealthPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Starts a process the test waits for by its PID, never through Foundation's `Process`:
/// standard input from /dev/null, standard output and error to `output` (created or
/// truncated with `mode`), no other descriptor of the test's (a server or conmon that
/// keeps one open would hold up Foundation's wait), every signal at its default action
/// (the test runner ignores SIGTERM, which would stay ignored across exec), and in a
/// process group of its own when `ownProcessGroup`. `environment` nil: the test's own.
func spawnDetached(
    _ arguments: [String], output: String = "/dev/null", mode: mode_t = 0o644, environment: [String: String]? = nil,
    ownProcessGroup: Bool = false
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, mode)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    CleanSpawn.closeDescriptors(from: 3, in: &actions)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    CleanSpawn.resetSignals(in: &attributes, ownProcessGroup: ownProcessGroup)
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] =
        (environment ?? ProcessInfo.processInfo.environment).map {
            strdup("\($0.key)=\($0.value)")
        } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, &envp)
    guard result == 0 else {
        throw RawHTTPClient.ClientError("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
    }
    return pid
}
