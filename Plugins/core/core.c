/*
 * core — healthhost's bundled trivial checks, the seed's check_true and
 * check_false. Useful to test probes and wiring: `true` always passes,
 * `false` always fails.
 */
#include "healthhost_plugin.h"

static int check_true(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "always passes");
    return HH_PASS;
}

static int check_false(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "always fails");
    return HH_FAIL;
}

static const hh_check core_checks[] = {
    {.name = "true",
     .summary = "Always passes (the seed's check_true).",
     .run = check_true,
     .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE},
    {.name = "false",
     .summary = "Always fails (the seed's check_false).",
     .run = check_false,
     .flags = HH_CHECK_THREAD_SAFE},
};

static const hh_plugin core_plugin = {
    HH_PLUGIN_HEADER,
    .name = "core",
    .version = "1.0.0",
    .summary = "Trivial checks that always pass or always fail.",
    HH_PLUGIN_CHECKS(core_checks),
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &core_plugin; }
