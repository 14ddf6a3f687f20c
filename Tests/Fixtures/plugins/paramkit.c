/* Test fixture: checks with typed parameters, taken both ways the ABI offers (as C
 * arguments through HH_PARAMETERIZED, and from hh_call.args with HH_CHECK_ARGS_IN_CALL).
 * Each check writes back what it received, so the tests see exactly what arrived.
 *   -DABI_1_1  declares ABI 1.1 (which does not know HH_CHECK_ARGS_IN_CALL). */
#include <inttypes.h>

#include "healthhost_plugin.h"

/* --- (a) C arguments ---------------------------------------------------- */

static int check_echo(const hh_call *call, hh_result *out, const char *text, int64_t count, double ratio, bool flag) {
    hh_result_set_message(out, "text=%s count=%" PRId64 " ratio=%.3f flag=%s args=%u", text, count, ratio,
                          flag ? "true" : "false", (unsigned)call->arg_count);
    hh_result_set_observed(out, ratio, "ratio");
    return flag ? HH_PASS : HH_WARN;
}

static const hh_param echo_params[] = {
    {.name = "text", .type = HH_PARAM_STRING, .summary = "Any text."},
    {.name = "count", .type = HH_PARAM_INT, .default_value = "7"},
    {.name = "ratio", .type = HH_PARAM_DOUBLE, .default_value = "0.5"},
    {.name = "flag", .type = HH_PARAM_BOOL, .default_value = "true"},
};

/* Sixteen arguments, nine of them doubles: more than the registers of either class
 * hold on x86-64 and AArch64, so some travel on the stack. */
static int check_wide(const hh_call *call, hh_result *out,
                      const char *s0, int64_t i1, double d2, double d3, bool b4, double d5, int64_t i6,
                      double d7, double d8, const char *s9, double d10, int64_t i11, double d12, bool b13,
                      double d14, double d15) {
    int64_t ints = i1 + i6 + i11;
    double doubles = d2 + d3 + d5 + d7 + d8 + d10 + d12 + d14 + d15;
    (void)call;
    hh_result_set_message(out, "%s%s ints=%" PRId64 " doubles=%.2f bools=%d%d last=%.2f", s0, s9, ints, doubles,
                          b4 ? 1 : 0, b13 ? 1 : 0, d15);
    return HH_PASS;
}

#define P(n, t, d) {.name = n, .type = t, .default_value = d}
static const hh_param wide_params[] = {
    P("s0", HH_PARAM_STRING, "a"), P("i1", HH_PARAM_INT, "1"), P("d2", HH_PARAM_DOUBLE, "0.5"),
    P("d3", HH_PARAM_DOUBLE, "0.25"), P("b4", HH_PARAM_BOOL, "true"), P("d5", HH_PARAM_DOUBLE, "1"),
    P("i6", HH_PARAM_INT, "20"), P("d7", HH_PARAM_DOUBLE, "2"), P("d8", HH_PARAM_DOUBLE, "3"),
    P("s9", HH_PARAM_STRING, "b"), P("d10", HH_PARAM_DOUBLE, "4"), P("i11", HH_PARAM_INT, "300"),
    P("d12", HH_PARAM_DOUBLE, "5"), P("b13", HH_PARAM_BOOL, "false"), P("d14", HH_PARAM_DOUBLE, "6"),
    P("d15", HH_PARAM_DOUBLE, "7.75"),
};

/* Echoes its secret into the message and the log: the host must scrub both. */
static int check_login(const hh_call *call, hh_result *out, const char *user, const char *password) {
    hh_log(call->host, HH_LOG_WARNING, "login as %s with %s refused", user, password);
    hh_result_set_message(out, "could not log in as %s with password %s", user, password);
    return HH_FAIL;
}

static const hh_param login_params[] = {
    {.name = "user", .type = HH_PARAM_STRING, .default_value = "app"},
    {.name = "dsn_part", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET},
};

/* A secret number: a wrong value must not be repeated in the config error. */
static int check_vault(const hh_call *call, hh_result *out, int64_t pin) {
    (void)call;
    hh_result_set_message(out, "pin has %d digits", pin > 999 ? 4 : 3);
    return HH_PASS;
}

static const hh_param vault_params[] = {
    {.name = "pin", .type = HH_PARAM_INT, .flags = HH_PARAM_SECRET},
};

/* --- (b) hh_call.args ---------------------------------------------------- */

#ifndef ABI_1_1
static int check_in_call(const hh_call *call, hh_result *out) {
    const hh_arg *path = hh_call_arg(call, "path");
    const hh_arg *limit = hh_call_arg(call, "limit");
    const hh_arg *strict = hh_call_arg(call, "strict");
    if (path == NULL || limit == NULL || strict == NULL || hh_call_arg(call, "nope") != NULL) {
        hh_result_set_message(out, "arguments missing");
        return HH_FAIL;
    }
    hh_result_set_message(out, "path=%s limit=%" PRId64 " strict=%s types=%u%u%u args=%u", path->string_value,
                          limit->int_value, strict->bool_value ? "true" : "false", (unsigned)path->type,
                          (unsigned)limit->type, (unsigned)strict->type, (unsigned)call->arg_count);
    return HH_PASS;
}
#define IN_CALL_FLAG HH_CHECK_ARGS_IN_CALL
#else
static int check_in_call(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "unreachable");
    return HH_FAIL;
}
#define IN_CALL_FLAG (1u << 2)
#endif

static const hh_param in_call_params[] = {
    {.name = "path", .type = HH_PARAM_STRING, .default_value = "/"},
    {.name = "limit", .type = HH_PARAM_INT, .default_value = "10"},
    {.name = "strict", .type = HH_PARAM_BOOL, .default_value = "false"},
};

static const hh_check checks[] = {
    {.name = "echo", .run = HH_PARAMETERIZED(check_echo), .params = echo_params, .param_count = 4,
     .flags = HH_CHECK_THREAD_SAFE},
    {.name = "wide", .run = HH_PARAMETERIZED(check_wide), .params = wide_params, .param_count = 16,
     .flags = HH_CHECK_THREAD_SAFE | HH_CHECK_DEFAULT},
    {.name = "login", .run = HH_PARAMETERIZED(check_login), .params = login_params, .param_count = 2,
     .flags = HH_CHECK_THREAD_SAFE},
    {.name = "vault", .run = HH_PARAMETERIZED(check_vault), .params = vault_params, .param_count = 1,
     .flags = HH_CHECK_THREAD_SAFE},
    {.name = "in_call", .run = check_in_call, .params = in_call_params, .param_count = 3,
     .flags = HH_CHECK_THREAD_SAFE | IN_CALL_FLAG},
};

static const hh_plugin plugin = {
#ifdef ABI_1_1
    .abi_version = (1u << 16) | 1u, .struct_size = (uint32_t)sizeof(hh_plugin),
#else
    HH_PLUGIN_HEADER,
#endif
    .name = "paramkit", .version = "1.0.0", .summary = "Typed parameters, both ways.",
    HH_PLUGIN_CHECKS(checks),
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
