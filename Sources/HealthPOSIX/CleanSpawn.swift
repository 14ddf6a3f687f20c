public import CProcessSupport

#if canImport(Glibc)
import Glibc
#endif

/// How the host starts a child with `posix_spawn` so that it inherits nothing by
/// accident: no descriptor but those the file actions place, no blocked signal, and every
/// signal at its default action (an ignored SIGTERM or SIGPIPE would otherwise stay
/// ignored across exec).
public enum CleanSpawn {
    /// Closes, in the child, every descriptor from `lowest` up (at the spawn itself: a
    /// descriptor another thread opens meanwhile is closed too).
    public static func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
        _ = hh_spawn_file_actions_close_from(&actions, lowest)
    }

    /// Sets `attributes` for a child with no signal blocked and every signal at its
    /// default action, in a process group of its own when `ownProcessGroup`.
    public static func resetSignals(in attributes: inout posix_spawnattr_t, ownProcessGroup: Bool = false) {
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
    }
}
