/* authorkit: a plugin written the way the header now lets authors write it, compiled
 * with -Wmissing-prototypes and, as C++, without extern "C" of its own:
 * - the entry symbol's prototype comes from the header (no warning, C linkage in C++);
 * - `context` points at const data without a cast;
 * - HH_CHECK_PARAMS counts the parameter array;
 * - built with -DHH_TARGET_ABI_MINOR=2 it stamps ABI 1.2 for older hosts. */
#include "healthhost_plugin.h"

typedef struct greeting { const char *word; } greeting;
static const greeting hello = { "hello" };

static int greet(const hh_call *call, hh_result *out) {
    const greeting *config = (const greeting *)call->context;
    const hh_arg *name = hh_call_arg(call, "name");
    hh_result_set_message(out, "%s %s", config->word, name ? name->string_value : "?");
    return HH_PASS;
}

static const hh_param greet_params[] = {
    { .name = "name", .type = HH_PARAM_STRING, .flags = 0, .default_value = "world", .summary = "Who to greet." },
};

static const hh_check checks[] = {
    { .name = "greet", .summary = "Greets.", .run = greet, .context = &hello,
      .flags = HH_CHECK_THREAD_SAFE | HH_CHECK_ARGS_IN_CALL, .timeout_ms = 0, HH_CHECK_PARAMS(greet_params) },
};

static const hh_plugin plugin = {
    HH_PLUGIN_HEADER,
    .name = "authorkit",
    .version = "1.0.0",
    .summary = "The header's conveniences, used.",
    HH_PLUGIN_CHECKS(checks),
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
