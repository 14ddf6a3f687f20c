// What Swift cannot call directly on Linux: variadic prctl and glibc's _np functions.
#ifndef HEALTHHOST_PROCESS_SUPPORT_H
#define HEALTHHOST_PROCESS_SUPPORT_H

#include <spawn.h>

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to this process when the
/// thread that created it exits. Returns 0 or -1 (errno set).
int hh_set_parent_death_signal(int signal);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): close every descriptor from
/// `lowest` up in the child. Returns 0 or an error number.
int hh_spawn_file_actions_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// pipe2(fds, O_CLOEXEC). Returns 0 or -1 (errno set).
int hh_pipe_cloexec(int fds[2]);

/// fcntl(fd, F_DUPFD_CLOEXEC, 3): a close-on-exec copy of `fd`. Returns it or -1.
int hh_dup_cloexec(int fd);

/// prctl(PR_SET_NAME, name): names the calling thread (the first 15 bytes) in ps, top
/// and crash reports.
void hh_set_thread_name(const char *name);

/// malloc_trim(0) (glibc): returns the free pages of every malloc arena to the system.
/// Returns 1 when memory was released.
int hh_release_free_heap(void);

/// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS and SIGTRAP
/// (once; later calls do nothing) and an atexit hook. While a thread is inside a
/// plugin call (between enter and leave), a fatal signal writes one line naming the
/// call to standard error and ends the process at once with that signal; exit() says
/// which call exited. Outside plugin calls the previous handlers run as before.
void hh_crash_report_install(void);

/// Marks the calling thread as running `label` (kept as a pointer: it must stay valid
/// until hh_crash_report_leave).
void hh_crash_report_enter(const char *label);

/// Ends what hh_crash_report_enter began on this thread.
void hh_crash_report_leave(void);

/// When this process is PID 1 (a container's entrypoint, or `unshare --pid --fork`),
/// becomes a minimal init as tini does and runs the host as its child: the init stays
/// PID 1, forwards every signal but SIGCHLD, the synchronous ones and SIGTTIN/SIGTTOU (SIGTERM, SIGINT,
/// SIGHUP, ...) to the host, reaps every orphan re-parented to it (a check's command that
/// left a background child), and exits with the host's status (128 + N when a signal N
/// ended it). Call it first thing in main, before any thread exists.
/// Returns 1 in the host when an init now runs above it, 0 when this process is not
/// PID 1, -1 when fork failed (errno set; the caller runs as is); never returns in the
/// init.
int hh_run_init_when_pid1(void);

#endif
