/*
 * crashkit — a plugin that misbehaves on purpose, for the isolation tests: checks
 * that segfault, abort, exit, hang and spew, and an init that can crash, hang or fail
 * (config key `init`). Loaded isolated, none of it may touch the host.
 */
#define _POSIX_C_SOURCE 200809L
#include "healthhost_plugin.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const hh_host *saved_host;

static int check_ok(const hh_call *call, hh_result *out) {
    hh_result_set_message(out, "ok in pid %ld as %s", (long)getpid(), call->configured_name);
    hh_result_set_observed(out, (double)getpid(), "pid");
    hh_log(saved_host, HH_LOG_INFO, "ok ran in its worker");
    return HH_PASS;
}

static int check_segv(const hh_call *call, hh_result *out) {
    volatile int *nowhere = NULL;
    (void)call; (void)out;
    fprintf(stderr, "about to dereference NULL\n");
    fflush(stderr);
    *nowhere = 1;
    return HH_PASS;
}

static int check_raise(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    raise(SIGSEGV);
    return HH_PASS;
}

static int check_abort(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    abort();
}

static int check_exit(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    exit(3);
}

static int check_hang(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    for (;;) pause();
    return HH_PASS;
}

static int check_spew(const hh_call *call, hh_result *out) {
    static char line[1024];
    int i;
    (void)call;
    memset(line, 'x', sizeof line - 2);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = 0;
    for (i = 0; i < 1024; i++) { fputs(line, stdout); fputs(line, stderr); }
    fflush(stdout);
    hh_result_set_message(out, "wrote 2 MB");
    return HH_PASS;
}

static const hh_param echo_params[] = {
    {.name = "word", .type = HH_PARAM_STRING},
    {.name = "times", .type = HH_PARAM_INT, .default_value = "2"},
    {.name = "token", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = "none"},
};

static int check_echo(const hh_call *call, hh_result *out, const char *word, int64_t times, const char *token) {
    (void)call;
    hh_result_set_message(out, "%s x%ld (token %s)", word, (long)times, token);
    return HH_WARN;
}

static int crashkit_init(const hh_host *host, const char *config_json, char *error, size_t capacity) {
    const char *mode = host->config_get(host, "init");
    (void)config_json;
    saved_host = host;
    if (mode && strcmp(mode, "crash") == 0) { volatile int *nowhere = NULL; *nowhere = 2; }
    if (mode && strcmp(mode, "hang") == 0) for (;;) pause();
    if (mode && strcmp(mode, "fail") == 0) { hh_format(error, capacity, "refusing: init=fail"); return 1; }
    hh_log(host, HH_LOG_INFO, "crashkit initialised");
    return 0;
}

static int crashkit_info(const hh_host *host, hh_info *info) {
    (void)host;
    hh_info_putf(info, "worker_pid", "%ld", (long)getpid());
    return 0;
}

static const hh_check crashkit_checks[] = {
    {.name = "ok", .run = check_ok, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "segv", .run = check_segv, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "raise", .run = check_raise, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "abort", .run = check_abort, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "exit", .run = check_exit, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "hang", .run = check_hang, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "spew", .run = check_spew, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "echo", .run = HH_PARAMETERIZED(check_echo), .params = echo_params, .param_count = 3,
     .flags = HH_CHECK_THREAD_SAFE},
};

static const hh_plugin crashkit_plugin = {
    HH_PLUGIN_HEADER,
    .name = "crashkit",
    .version = "0.0.1",
    .summary = "Crashes on purpose.",
    HH_PLUGIN_CHECKS(crashkit_checks),
    .init = crashkit_init,
    .info_section = "crashkit",
    .info = crashkit_info,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &crashkit_plugin; }
