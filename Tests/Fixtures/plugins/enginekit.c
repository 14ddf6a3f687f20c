/*
 * enginekit — checks with sleeps and counters for the engine tests: slow calls,
 * hung calls, a switchable status, a check that is not thread-safe and records
 * how many of its calls ever overlapped, and a `stats` check that reports every
 * counter in its message. Each test loads its own copy (its own file name), so
 * counters start at zero.
 *
 * Settings (plugins.config.enginekit): sleep_ms (default 300).
 */
#define _POSIX_C_SOURCE 200809L
#include "healthhost_plugin.h"

#include <stdlib.h>
#include <time.h>

static long sleep_ms = 300;
static int counted_calls, hang_calls, toggle_calls, toggle_failing;
static int unsafe_calls, unsafe_active, unsafe_max_active, sticky_calls;
static int counted_active, counted_max_active;

static int bump(int *counter) { return __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST); }
static int read_counter(int *counter) { return __atomic_load_n(counter, __ATOMIC_SEQ_CST); }

static void pause_ms(long ms) {
    struct timespec pause;
    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&pause, &pause) != 0) { /* resume after signals */ }
}

/* Raises *max to active when active is more. */
static void raise_max(int *max, int active) {
    int seen = read_counter(max);
    while (active > seen && !__atomic_compare_exchange_n(max, &seen, active, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
}

/* Sleeps sleep_ms, then passes with its call number; records the most calls active at once. */
static int check_counted(const hh_call *call, hh_result *out) {
    int number = bump(&counted_calls);
    (void)call;
    raise_max(&counted_max_active, bump(&counted_active));
    pause_ms(sleep_ms);
    __atomic_sub_fetch(&counted_active, 1, __ATOMIC_SEQ_CST);
    hh_result_set_message(out, "call %d", number);
    return HH_PASS;
}

/* Never returns in any test's lifetime. */
static int check_hang(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    bump(&hang_calls);
    pause_ms(3600L * 1000L);
    return HH_FAIL;
}

/* Passes or fails as set by set_pass / set_fail; counts its calls. */
static int check_toggle(const hh_call *call, hh_result *out) {
    int number = bump(&toggle_calls);
    int failing = read_counter(&toggle_failing);
    (void)call;
    hh_result_set_message(out, "call %d", number);
    return failing ? HH_FAIL : HH_PASS;
}

static int check_set_fail(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    __atomic_store_n(&toggle_failing, 1, __ATOMIC_SEQ_CST);
    return HH_PASS;
}

static int check_set_pass(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    __atomic_store_n(&toggle_failing, 0, __ATOMIC_SEQ_CST);
    return HH_PASS;
}

/* Not thread-safe: records the most calls ever active at once. */
static int check_unsafe(const hh_call *call, hh_result *out) {
    (void)call;
    raise_max(&unsafe_max_active, bump(&unsafe_active));
    bump(&unsafe_calls);
    pause_ms(200);
    __atomic_sub_fetch(&unsafe_active, 1, __ATOMIC_SEQ_CST);
    hh_result_set_message(out, "done");
    return HH_PASS;
}

/* Passes at once on its first call; every later call hangs. */
static int check_sticky(const hh_call *call, hh_result *out) {
    (void)call;
    if (bump(&sticky_calls) > 1) pause_ms(3600L * 1000L);
    hh_result_set_message(out, "first call");
    return HH_PASS;
}

static int check_stats(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "counted=%d counted_max_active=%d hang=%d toggle=%d unsafe=%d unsafe_max_active=%d sticky=%d",
                          read_counter(&counted_calls), read_counter(&counted_max_active), read_counter(&hang_calls), read_counter(&toggle_calls),
                          read_counter(&unsafe_calls), read_counter(&unsafe_max_active),
                          read_counter(&sticky_calls));
    return HH_PASS;
}

static int enginekit_init(const hh_host *host, const char *json, char *error, size_t error_capacity) {
    const char *value = host->config_get(host, "sleep_ms");
    (void)json; (void)error; (void)error_capacity;
    if (value != NULL) sleep_ms = strtol(value, NULL, 10);
    return 0;
}

#define SAFE HH_CHECK_THREAD_SAFE
static const hh_check enginekit_checks[] = {
    {.name = "counted", .run = check_counted, .flags = SAFE | HH_CHECK_DEFAULT},
    {.name = "hang", .run = check_hang, .flags = SAFE | HH_CHECK_DEFAULT},
    {.name = "toggle", .run = check_toggle, .flags = SAFE | HH_CHECK_DEFAULT},
    {.name = "set_fail", .run = check_set_fail, .flags = SAFE},
    {.name = "set_pass", .run = check_set_pass, .flags = SAFE},
    {.name = "unsafe", .run = check_unsafe, .flags = HH_CHECK_DEFAULT},
    {.name = "sticky", .run = check_sticky, .flags = SAFE | HH_CHECK_DEFAULT},
    {.name = "stats", .run = check_stats, .flags = SAFE},
};

static const hh_plugin enginekit_plugin = {
    HH_PLUGIN_HEADER,
    .name = "enginekit",
    .version = "1.0.0",
    .summary = "Sleeps and counters for the engine tests.",
    HH_PLUGIN_CHECKS(enginekit_checks),
    .init = enginekit_init,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &enginekit_plugin; }
