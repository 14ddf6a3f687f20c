/*
 * benchkit — the benchmark plugin. Compiled by bench/engine.sh, once per copy with
 * -DBENCH_PLUGIN_NAME='"bench_042"' so that 100 copies load side by side.
 *   ok      passes at once (the cheapest possible check)
 *   sleep5  sleeps 5 s, then passes (a slow database)
 *   ok_args passes at once, taking three typed parameters as C arguments (libffi)
 */
#define _POSIX_C_SOURCE 200809L
#include "healthhost_plugin.h"

#include <time.h>

#ifndef BENCH_PLUGIN_NAME
#define BENCH_PLUGIN_NAME "benchkit"
#endif

static int check_ok(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "ok");
    return HH_PASS;
}

static int check_sleep5(const hh_call *call, hh_result *out) {
    struct timespec pause = {5, 0};
    (void)call;
    nanosleep(&pause, NULL);
    hh_result_set_message(out, "slept 5 s");
    return HH_PASS;
}

static int check_ok_args(const hh_call *call, hh_result *out, const char *path, int64_t limit, double ratio) {
    (void)call; (void)path; (void)limit; (void)ratio;
    hh_result_set_message(out, "ok");
    return HH_PASS;
}

static const hh_param ok_args_params[] = {
    {.name = "path", .type = HH_PARAM_STRING, .default_value = "/"},
    {.name = "limit", .type = HH_PARAM_INT, .default_value = "10"},
    {.name = "ratio", .type = HH_PARAM_DOUBLE, .default_value = "0.5"},
};

static const hh_check benchkit_checks[] = {
    {.name = "ok", .run = check_ok, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "sleep5", .run = check_sleep5, .flags = HH_CHECK_THREAD_SAFE, .timeout_ms = 10000},
    {.name = "ok_args", .run = HH_PARAMETERIZED(check_ok_args), .params = ok_args_params, .param_count = 3,
     .flags = HH_CHECK_THREAD_SAFE},
};

static const hh_plugin benchkit_plugin = {
    HH_PLUGIN_HEADER,
    .name = BENCH_PLUGIN_NAME,
    .version = "1.0.0",
    .summary = "Benchmark checks.",
    HH_PLUGIN_CHECKS(benchkit_checks),
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &benchkit_plugin; }
