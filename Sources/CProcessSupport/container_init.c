// The host as a container's PID 1: a minimal init in front of it, as tini does.
#define _GNU_SOURCE
#include "process_support.h"
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/// Never blocked, never forwarded: the signals the kernel raises in the thread that
/// faulted, and the terminal's background-read and -write stops, which would stop the
/// host (as tini, which leaves them to PID 1, where their default action does nothing).
static const int unforwarded_signals[] = {SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP, SIGTTIN, SIGTTOU};

/// The exit status a shell would report for `status` as waitpid gave it.
static int shell_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

/// PID 1's loop: forwards every asynchronous signal to `host`, reaps every child (the
/// host's orphans are re-parented here), and ends with the host's own status. The
/// host's own children are the host's: they are reaped by it, never here, because a
/// process is re-parented to PID 1 only once its parent is gone.
static _Noreturn void run_init(pid_t host, const sigset_t *forwarded);
static _Noreturn void run_init(pid_t host, const sigset_t *forwarded) {
    (void)prctl(PR_SET_NAME, (unsigned long)"healthhost-init", 0UL, 0UL, 0UL);
    for (;;) {
        siginfo_t info;
        // A bounded wait: a child that ended while no SIGCHLD was pending is reaped anyway.
        struct timespec tick = {1, 0};
        int signal = sigtimedwait(forwarded, &info, &tick);
        if (signal > 0 && signal != SIGCHLD) {
            // SIGTERM from the container runtime, SIGHUP for a reload, SIGINT, ...
            (void)kill(host, signal);
        }
        for (;;) {
            int status = 0;
            pid_t ended = waitpid(-1, &status, WNOHANG);
            if (ended < 0 && errno == EINTR) continue;
            if (ended <= 0) break;
            // The rest of the namespace is killed by the kernel when PID 1 exits.
            if (ended == host) _exit(shell_status(status));
        }
    }
}

int hh_run_init_when_pid1(void) {
    if (getpid() != 1) return 0;
    sigset_t forwarded, previous;
    sigfillset(&forwarded);
    for (size_t index = 0; index < sizeof unforwarded_signals / sizeof unforwarded_signals[0]; index++) {
        sigdelset(&forwarded, unforwarded_signals[index]);
    }
    // Blocked before the fork, so that no signal sent meanwhile is lost: the init waits
    // for them with sigtimedwait; the host unblocks them at once.
    if (sigprocmask(SIG_BLOCK, &forwarded, &previous) != 0) return -1;
    pid_t host = fork();
    if (host < 0) {
        int error = errno;
        (void)sigprocmask(SIG_SETMASK, &previous, NULL);
        errno = error;
        return -1;
    }
    if (host == 0) {
        (void)sigprocmask(SIG_SETMASK, &previous, NULL);
        return 1;
    }
    run_init(host, &forwarded);
}
