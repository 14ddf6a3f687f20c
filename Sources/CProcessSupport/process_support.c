#define _GNU_SOURCE
#include "process_support.h"
#include <sys/prctl.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <stdlib.h>
#include <pthread.h>
#include <malloc.h>

int hh_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

void hh_set_thread_name(const char *name) {
    (void)prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

int hh_release_free_heap(void) {
    return malloc_trim(0);
}

int hh_spawn_file_actions_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int hh_dup_cloexec(int fd) {
    return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

int hh_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

static __thread const char *current_call;
static struct sigaction previous_actions[65];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP};

static void write_text(const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t written = write(2, text, length);
        if (written <= 0) return;
        text += written;
        length -= (size_t)written;
    }
}

static const char *signal_name(int signal) {
    switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGSYS: return "SIGSYS";
    case SIGTRAP: return "SIGTRAP";
    default: return "?";
    }
}

static void crash_handler(int signal, siginfo_t *info, void *context) {
    const char *label = current_call;
    if (label != NULL) {
        char number[4] = {0, 0, 0, 0};
        int value = signal, at = 0;
        if (value >= 10) number[at++] = (char)('0' + value / 10);
        number[at] = (char)('0' + value % 10);
        write_text("healthhost: fatal signal ");
        write_text(number);
        write_text(" (");
        write_text(signal_name(signal));
        write_text(") in ");
        write_text(label);
        write_text("; the host stops now (with plugins.isolation: process only the plugin's worker would have)\n");
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(signal, &fallback, NULL);
        raise(signal);
        return;
    }
    struct sigaction *previous = &previous_actions[signal];
    if ((previous->sa_flags & SA_SIGINFO) && previous->sa_sigaction != NULL) {
        previous->sa_sigaction(signal, info, context);
    } else if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN && previous->sa_handler != NULL) {
        previous->sa_handler(signal);
    } else {
        sigaction(signal, previous, NULL);
        raise(signal);
    }
}

static void exit_hook(void) {
    const char *label = current_call;
    if (label != NULL) {
        write_text("healthhost: exit() called in ");
        write_text(label);
        write_text("; the host stops now (with plugins.isolation: process only the plugin's worker would have)\n");
    }
}

static void install(void) {
    struct sigaction action;
    size_t index;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    for (index = 0; index < sizeof fatal_signals / sizeof fatal_signals[0]; index++) {
        int signal = fatal_signals[index];
        sigaction(signal, &action, &previous_actions[signal]);
    }
    atexit(exit_hook);
}

void hh_crash_report_install(void) { pthread_once(&install_once, install); }
void hh_crash_report_enter(const char *label) { current_call = label; }
void hh_crash_report_leave(void) { current_call = NULL; }
