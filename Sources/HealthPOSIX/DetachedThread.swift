import CProcessSupport

#if canImport(Glibc)
import Glibc
#endif

/// An operating-system thread for work that blocks (reading a worker's pipe, calling a
/// plugin's `init`, writing logs), which must never run on an event loop or the Swift
/// concurrency pool. A pthread, so the host needs no Foundation for it.
public enum DetachedThread {
    /// Starts `body` on a new detached thread named `name` (its first 15 bytes show in
    /// `ps` and `top`). Returns `false`, without running `body`, when the system refuses
    /// a thread (out of memory or over its thread limit).
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(ThreadContext(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(
            &thread, &attributes,
            { raw in
                guard let raw else { return nil }
                let context = Unmanaged<ThreadContext>.fromOpaque(raw).takeRetainedValue()
                hh_set_thread_name(context.name)
                context.body()
                return nil
            }, context)
        if result != 0 {
            Unmanaged<ThreadContext>.fromOpaque(context).release()
            return false
        }
        return true
    }
}

/// What a new thread runs, handed over through `pthread_create`'s context pointer.
private final class ThreadContext {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
