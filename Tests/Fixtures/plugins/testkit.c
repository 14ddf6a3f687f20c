/*
 * testkit — a well-behaved plugin exercising every part of the ABI the host
 * must handle: statuses, observed values, logging, init config, slow calls,
 * over-long output and invalid statuses.
 */
#define _POSIX_C_SOURCE 200809L
#include "healthhost_plugin.h"

#include <stdlib.h>
#include <time.h>

static const hh_host *saved_host;
static char greeting[128] = "unset";
static char config_json[512] = "";
static volatile int shutdown_marker_written;

static int check_pass(const hh_call *call, hh_result *out) {
    hh_result_set_message(out, "fine (configured as %s)", call->configured_name);
    return HH_PASS;
}

static int check_warn(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "disk getting full");
    hh_result_set_observed(out, 91.5, "percent");
    return HH_WARN;
}

static int check_fail(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "database unreachable");
    return HH_FAIL;
}

static int check_slow(const hh_call *call, hh_result *out) {
    struct timespec pause = {2, 0};
    (void)call;
    nanosleep(&pause, NULL);
    hh_result_set_message(out, "finally");
    return HH_PASS;
}

/* Fills the whole buffer with 3-byte UTF-8 characters and NO terminator, as a
 * careless plugin might: the host must still read a bounded, valid string. */
static int check_long(const hh_call *call, hh_result *out) {
    uint32_t i;
    (void)call;
    for (i = 0; i + 3 <= out->message_capacity; i += 3) {
        out->message[i] = (char)0xE2; out->message[i + 1] = (char)0x82; out->message[i + 2] = (char)0xAC; /* € */
    }
    for (; i < out->message_capacity; i++) out->message[i] = 'x';
    return HH_PASS;
}

static int check_bad_status(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "oops");
    return 7;
}

static int check_config(const hh_call *call, hh_result *out) {
    const char *nested = call->host->config_get(call->host, "nested.level");
    hh_log(call->host, HH_LOG_INFO, "config check ran for %s", call->configured_name);
    hh_result_set_message(out, "greeting=%s nested=%s json=%s", greeting, nested ? nested : "(null)", config_json);
    return HH_PASS;
}

static int testkit_init(const hh_host *host, const char *json, char *error, size_t error_capacity) {
    const char *value;
    (void)error; (void)error_capacity;
    saved_host = host;
    value = host->config_get(host, "greeting");
    if (value != NULL) hh_format(greeting, sizeof greeting, "%s", value);
    hh_format(config_json, sizeof config_json, "%s", json);
    hh_log(host, HH_LOG_INFO, "testkit initialised on %s", host->host_version);
    return 0;
}

static void testkit_shutdown(const hh_host *host) {
    const char *marker = host->config_get(host, "shutdown_marker");
    if (marker != NULL) {
        FILE *file = fopen(marker, "w");
        if (file != NULL) { fputs("shutdown called\n", file); fclose(file); }
    }
    shutdown_marker_written = 1;
}

static const hh_param disk_params[] = {
    {.name = "path", .type = HH_PARAM_STRING, .summary = "Mount point."},
    {.name = "min_free_mb", .type = HH_PARAM_INT, .default_value = "100"},
    {.name = "password", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = "x"},
};

static int check_disk(const hh_call *call, hh_result *out, const char *path, int64_t min_free, const char *pw) {
    (void)call; (void)pw;
    hh_result_set_message(out, "%s needs %ld MB free", path, (long)min_free);
    return HH_PASS;
}

static const hh_check testkit_checks[] = {
    {.name = "pass", .summary = "Passes.", .run = check_pass, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "warn", .run = check_warn, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "fail", .run = check_fail, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "slow", .run = check_slow, .flags = HH_CHECK_THREAD_SAFE, .timeout_ms = 300},
    {.name = "long", .run = check_long, .flags = HH_CHECK_THREAD_SAFE},
    {.name = "bad_status", .run = check_bad_status},
    {.name = "config", .run = check_config},
    {.name = "disk", .run = HH_PARAMETERIZED(check_disk), .params = disk_params, .param_count = 3},
};

static const hh_plugin testkit_plugin = {
    HH_PLUGIN_HEADER,
    .name = "testkit",
    .version = "2.3.4",
    .summary = "Exercises the ABI.",
    HH_PLUGIN_CHECKS(testkit_checks),
    .init = testkit_init,
    .shutdown = testkit_shutdown,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &testkit_plugin; }
