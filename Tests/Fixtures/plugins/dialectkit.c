/*
 * The shared fixture of the dialect tests: a passing, a warning and a failing
 * check with known messages and values, and an info section (ABI 1.1) with a
 * secret-looking key. -D variants break the info section's rules or build the
 * plugin as an ABI 1.0 plugin (no info fields at all).
 */
#include "healthhost_plugin.h"

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "dialectkit"
#endif
#ifndef INFO_SECTION
#define INFO_SECTION "dialectkit"
#endif

static int check_ok(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "all good");
    hh_result_set_observed(out, 12.0, "ms");
    return HH_PASS;
}

static int check_warn(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "disk 91%% full");
    hh_result_set_observed(out, 91.5, "percent");
    return HH_WARN;
}

static int check_down(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "connection refused: db:5432");
    return HH_FAIL;
}

static const hh_check checks[] = {
    {.name = "ok", .run = check_ok, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "warn", .run = check_warn, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "down", .run = check_down, .flags = HH_CHECK_THREAD_SAFE},
};

#ifndef ABI_1_0
static int info(const hh_host *host, hh_info *info) {
    (void)host;
#ifdef INFO_FAILS
    hh_info_put(info, "error", "cannot reach the admin socket");
    return 1;
#else
    hh_info_put(info, "maintainer", "ops@example.com");
    hh_info_putf(info, "pool_size", "%d", 8);
    hh_info_put(info, "api_key", "do-not-show-this");
    hh_info_put(info, "maintainer", "platform@example.com"); /* replaces the first */
    return 0;
#endif
}
#endif

static const hh_plugin plugin = {
#ifdef ABI_1_0
    /* What a plugin built against the 1.0 header looks like: no info fields. */
    .abi_version = (1u << 16) | 0u,
    .struct_size = (uint32_t)offsetof(hh_plugin, info_section),
#else
    HH_PLUGIN_HEADER,
#endif
    .name = PLUGIN_NAME,
    .version = "2.3.4",
    .summary = "Fixture for the HTTP dialect tests.",
    HH_PLUGIN_CHECKS(checks),
#ifndef ABI_1_0
    .info_section = INFO_SECTION,
    .info = info,
#endif
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
