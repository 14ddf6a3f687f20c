import Foundation

/// Every process the tests launch through Foundation, and every pipe for one, made under
/// one lock.
///
/// Foundation's `Process.run()` on Linux gives the child no descriptor but its own by
/// closing, in the child, every descriptor it found open when it started, and tells
/// `waitUntilExit` of the exit by a socket pair the child inherits. A descriptor another
/// thread creates between that scan and the spawn (its own launch's socket pair, its
/// pipes) leaks into this child: when the child is long-lived (dnsmasq, a served host),
/// the other launch's exit is never seen and its `waitUntilExit` spins for ever (the whole
/// suite stuck behind a wall of zombies, three runs in three once one more test changed
/// the timing). With the lock, no test creates a pipe or launches while another launch
/// is between its scan and its spawn. (The host's own spawns close every descriptor
/// from 3 up at the spawn itself, `posix_spawn_file_actions_addclosefrom_np`.)
enum ProcessLaunch {
    private static let lock = NSLock()

    /// A new pipe, made while no launch is in progress.
    static func pipe() -> Pipe { lock.withLock { Pipe() } }

    /// Runs `process`, while no other launch is in progress.
    static func run(_ process: Process) throws { try lock.withLock { try process.run() } }
}
