/*
 * nagios — runs any Nagios/Monitoring Plugins executable as a check, as NRPE and
 * Consul's script checks do: `run` with `command: "check_tcp -H db -p 5432"`.
 *
 * - The command is split like a shell would split words (single quotes, double quotes,
 *   backslash) but no shell runs it: no expansion, no pipes, nothing from a request.
 *   A bare name is looked up in /usr/lib/nagios/plugins, then the usual bin folders.
 * - Exit 0 → pass, 1 → warn, 2 → fail, 3 and anything else → fail "UNKNOWN"; killed by
 *   a signal → fail naming the signal.
 * - The first output line is the message; its perfdata (after `|`, `'label'=value[UOM];
 *   warn;crit;min;max`) gives the observed value and unit of the first label.
 * - Its own process group, standard input /dev/null, standard output and error one
 *   pipe read up to 8 KiB (the head: the status line comes first; the rest is drained
 *   and dropped), no inherited descriptors, the environment PATH, LANG=C and LC_ALL=C.
 * - The check's timeout bounds it: at 80 % of it SIGTERM goes to the whole group,
 *   SIGKILL after a grace of 10 % (at most 500 ms); always reaped; whatever is left of
 *   the group is killed too.
 */
#define _GNU_SOURCE
#include "healthhost_plugin.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define MAX_ARGS 64
#define MAX_COMMAND 4096
#define OUTPUT_CAP 8192

static const char *search_path = "/usr/lib/nagios/plugins:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* Splits `command` into words in `storage`; returns the word count, or -1 with a
 * reason in `error`. */
static int split_words(const char *command, char *storage, size_t capacity, char **words, char *error, size_t error_size) {
    size_t out = 0;
    int count = 0;
    const char *p = command;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        if (count == MAX_ARGS) { snprintf(error, error_size, "more than %d words", MAX_ARGS); return -1; }
        words[count++] = storage + out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (out + 2 >= capacity) { snprintf(error, error_size, "longer than %d bytes", MAX_COMMAND); return -1; }
            if (*p == '\'') {
                p++;
                while (*p && *p != '\'') { if (out + 2 >= capacity) break; storage[out++] = *p++; }
                if (*p != '\'') { snprintf(error, error_size, "a single quote is not closed"); return -1; }
                p++;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`')) p++;
                    if (out + 2 >= capacity) break;
                    storage[out++] = *p++;
                }
                if (*p != '"') { snprintf(error, error_size, "a double quote is not closed"); return -1; }
                p++;
            } else if (*p == '\\') {
                p++;
                if (!*p) { snprintf(error, error_size, "it ends in a backslash"); return -1; }
                storage[out++] = *p++;
            } else {
                storage[out++] = *p++;
            }
        }
        storage[out++] = 0;
    }
    words[count] = NULL;
    if (count == 0) { snprintf(error, error_size, "it is empty"); return -1; }
    return count;
}

/* The executable for `name`: itself when it has a '/', else the first hit on the path. */
static int resolve(const char *name, char *found, size_t capacity) {
    const char *start = search_path;
    if (strchr(name, '/')) {
        snprintf(found, capacity, "%s", name);
        return access(found, X_OK) == 0;
    }
    while (*start) {
        const char *end = strchr(start, ':');
        size_t length = end ? (size_t)(end - start) : strlen(start);
        snprintf(found, capacity, "%.*s/%s", (int)length, start, name);
        if (access(found, X_OK) == 0) return 1;
        if (!end) break;
        start = end + 1;
    }
    return 0;
}

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static const char *signal_name(int signal) {
    switch (signal) {
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    default: return "?";
    }
}

/* Waits for `pid` until `deadline_ms`; returns 1 and the status when it exited. */
static int wait_until(pid_t pid, int *status, long long deadline_ms) {
    for (;;) {
        pid_t done = waitpid(pid, status, WNOHANG);
        if (done == pid) return 1;
        if (done < 0 && errno != EINTR) return 1;
        if (now_ms() >= deadline_ms) return 0;
        usleep(5000);
    }
}

/* Parses the first perfdata item of `perf` ("'label'=12.5ms;..."). */
static void observe(const char *perf, hh_result *out) {
    const char *p = perf;
    char *end;
    double value;
    char unit[16];
    size_t length = 0;
    while (*p == ' ') p++;
    if (*p == '\'') {
        p = strchr(p + 1, '\'');
        if (!p) return;
        p++;
    } else {
        while (*p && *p != '=') p++;
    }
    if (*p != '=') return;
    p++;
    value = strtod(p, &end);
    if (end == p) return;
    while (*end && *end != ';' && *end != ' ' && length + 1 < sizeof unit) unit[length++] = *end++;
    unit[length] = 0;
    hh_result_set_observed(out, value, unit);
}

static int check_run(const hh_call *call, hh_result *out, const char *command) {
    char storage[MAX_COMMAND], executable[1024], error[128], output[OUTPUT_CAP + 1];
    char *words[MAX_ARGS + 1];
    char *environment[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "LC_ALL=C", NULL};
    int pipe_fds[2], status = 0, timed_out = 0;
    size_t used = 0;
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    sigset_t none, all;
    /* The command gets 80 % of the check's timeout, the group's SIGTERM grace the next
     * 10 % (at most 500 ms): the result, with the reason, is back before the host gives up. */
    long long budget = call->timeout_ms ? call->timeout_ms : 5000;
    long long grace = budget / 10 < 500 ? budget / 10 : 500;
    long long started = now_ms(), deadline = started + budget * 8 / 10;
    char *line_end, *bar;

    if (strlen(command) >= MAX_COMMAND - 1) {
        hh_result_set_message(out, "UNKNOWN: the command is longer than %d bytes", MAX_COMMAND);
        return HH_FAIL;
    }
    if (split_words(command, storage, sizeof storage, words, error, sizeof error) < 0) {
        hh_result_set_message(out, "UNKNOWN: cannot split the command: %s", error);
        return HH_FAIL;
    }
    if (!resolve(words[0], executable, sizeof executable)) {
        if (strchr(words[0], '/'))
            hh_result_set_message(out, "UNKNOWN: cannot execute '%s': %s", words[0], strerror(errno));
        else
            hh_result_set_message(out, "UNKNOWN: '%s' is not an executable in %s", words[0], search_path);
        return HH_FAIL;
    }
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        hh_result_set_message(out, "UNKNOWN: pipe failed: %s", strerror(errno));
        return HH_FAIL;
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_init(&attributes);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    errno = posix_spawn(&pid, executable, &actions, &attributes, words, environment);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(pipe_fds[1]);
    if (errno != 0) {
        close(pipe_fds[0]);
        hh_result_set_message(out, "UNKNOWN: cannot start '%s': %s", executable, strerror(errno));
        return HH_FAIL;
    }

    /* Read until EOF or the deadline; keep the head, drain the rest. */
    for (;;) {
        struct pollfd ready = {.fd = pipe_fds[0], .events = POLLIN};
        long long left = deadline - now_ms();
        char scratch[4096];
        ssize_t count;
        if (left <= 0) { timed_out = 1; break; }
        if (poll(&ready, 1, (int)left) <= 0) continue;
        count = read(pipe_fds[0], scratch, sizeof scratch);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;
        if (used < OUTPUT_CAP) {
            size_t take = (size_t)count < OUTPUT_CAP - used ? (size_t)count : OUTPUT_CAP - used;
            memcpy(output + used, scratch, take);
            used += take;
        }
    }
    close(pipe_fds[0]);
    output[used] = 0;
    if (!timed_out && !wait_until(pid, &status, deadline)) timed_out = 1;
    if (timed_out) {
        kill(-pid, SIGTERM);
        if (!wait_until(pid, &status, now_ms() + grace)) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        }
    }
    kill(-pid, SIGKILL); /* whatever it left behind in its group */

    line_end = strchr(output, '\n');
    if (line_end) *line_end = 0;
    bar = strchr(output, '|');
    if (bar) {
        char *trim = bar;
        *bar = 0;
        while (trim > output && trim[-1] == ' ') *--trim = 0;
        observe(bar + 1, out);
    }
    if (timed_out) {
        hh_result_set_message(out, "timed out after %lld ms: '%s' was killed%s%s", budget * 8 / 10, words[0],
                              output[0] ? "; it said: " : "", output);
        return HH_FAIL;
    }
    if (WIFSIGNALED(status)) {
        hh_result_set_message(out, "UNKNOWN: '%s' was killed by signal %d (%s)%s%s", words[0], WTERMSIG(status),
                              signal_name(WTERMSIG(status)), output[0] ? ": " : "", output);
        return HH_FAIL;
    }
    switch (WEXITSTATUS(status)) {
    case 0:
        hh_result_set_message(out, "%s", output[0] ? output : "OK (no output)");
        return HH_PASS;
    case 1:
        hh_result_set_message(out, "%s", output[0] ? output : "WARNING (no output)");
        return HH_WARN;
    case 2:
        hh_result_set_message(out, "%s", output[0] ? output : "CRITICAL (no output)");
        return HH_FAIL;
    case 3:
        /* Plugins mostly say UNKNOWN themselves; say it once. */
        if (strncmp(output, "UNKNOWN", 7) == 0)
            hh_result_set_message(out, "%s", output);
        else
            hh_result_set_message(out, "UNKNOWN: %s", output[0] ? output : "(no output)");
        return HH_FAIL;
    default:
        hh_result_set_message(out, "UNKNOWN: '%s' exited with status %d%s%s", words[0], WEXITSTATUS(status),
                              output[0] ? ": " : "", output);
        return HH_FAIL;
    }
}

/* ABI 1.3: at start-up, the command must split and its executable must exist. */
static int nagios_validate(const hh_host *host, const char *check_name, const hh_arg *args, uint32_t count, char *error,
                           size_t capacity) {
    char storage[MAX_COMMAND], executable[1024], reason[128];
    char *words[MAX_ARGS + 1];
    (void)host;
    if (strcmp(check_name, "run") != 0 || count < 1 || !args[0].string_value) return 0;
    if (strlen(args[0].string_value) >= MAX_COMMAND - 1) {
        hh_format(error, capacity, "command: longer than %d bytes", MAX_COMMAND);
        return 1;
    }
    if (split_words(args[0].string_value, storage, sizeof storage, words, reason, sizeof reason) < 0) {
        hh_format(error, capacity, "command: cannot split it into words: %s", reason);
        return 1;
    }
    if (!resolve(words[0], executable, sizeof executable)) {
        if (strchr(words[0], '/'))
            hh_format(error, capacity, "command: cannot execute '%s': %s", words[0], strerror(errno));
        else
            hh_format(error, capacity, "command: '%s' is not an executable in %s", words[0], search_path);
        return 1;
    }
    return 0;
}

static const hh_param run_params[] = {
    {.name = "command", .type = HH_PARAM_STRING,
     .summary = "The plugin and its arguments, split like shell words (no shell runs it)."},
};

static const hh_check nagios_checks[] = {
    {.name = "run",
     .summary = "Runs a Nagios/Monitoring Plugins executable: exit 0 pass, 1 warn, 2 fail, 3 unknown.",
     .run = HH_PARAMETERIZED(check_run),
     .flags = HH_CHECK_THREAD_SAFE,
     .params = run_params,
     .param_count = 1},
};

static const hh_plugin nagios_plugin = {
    HH_PLUGIN_HEADER,
    .name = "nagios",
    .version = "1.0.0",
    .summary = "Runs Nagios plugins (monitoring-plugins) as checks.",
    HH_PLUGIN_CHECKS(nagios_checks),
    .validate = nagios_validate,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &nagios_plugin; }
