/*
 * One source, one broken plugin per -D flag: each breaks exactly one rule
 * of the ABI so the tests can pin the host's error for it.
 */
#include "healthhost_plugin.h"

static int check_ok(const hh_call *call, hh_result *out) {
    (void)call; (void)out;
    return HH_PASS;
}

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "broken"
#endif
#ifndef CHECK_NAME
#define CHECK_NAME "ok"
#endif

static const hh_check checks[] = {
    {.name = CHECK_NAME, .run = check_ok, .flags = HH_CHECK_THREAD_SAFE},
#ifdef DUPLICATE_CHECK
    {.name = CHECK_NAME, .run = check_ok},
#endif
#ifdef UNKNOWN_FLAG
    {.name = "flagged", .run = check_ok, .flags = 1u << 7},
#endif
};

#ifdef INIT_FAILS
static int failing_init(const hh_host *host, const char *json, char *error, size_t capacity) {
    (void)host; (void)json;
    hh_format(error, capacity, "cannot reach %s", "db.internal:5432");
    return 1;
}
#endif

static const hh_plugin plugin = {
#if defined(ABI_MAJOR_2)
    .abi_version = (2u << 16) | 0u, .struct_size = (uint32_t)sizeof(hh_plugin),
#elif defined(ABI_NEWER_MINOR)
    .abi_version = (1u << 16) | 5u, .struct_size = (uint32_t)sizeof(hh_plugin),
#elif defined(SMALL_STRUCT)
    .abi_version = HH_ABI_VERSION, .struct_size = 8,
#else
    HH_PLUGIN_HEADER,
#endif
    .name = PLUGIN_NAME,
    .version = "0.0.1",
    HH_PLUGIN_CHECKS(checks),
#ifdef INIT_FAILS
    .init = failing_init,
#endif
#ifdef SWIFT_VERSION
    .swift_version = SWIFT_VERSION,
#endif
};

#if defined(NO_ENTRY)
HH_EXPORT const hh_plugin *hh_plugin_entry_v0(void) { return &plugin; }
#elif defined(NULL_ENTRY)
HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) {
    (void)plugin;
    return (const hh_plugin *)0;
}
#else
HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
#endif
