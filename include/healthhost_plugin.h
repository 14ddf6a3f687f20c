/*
 * healthhost_plugin.h — the healthhost check-plugin C ABI, version 1.2.
 *
 * This header is the whole contract between the healthhost host and a check
 * plugin. A plugin is a shared library (ELF .so) that exports ONE symbol,
 * `hh_plugin_entry_v1`, returning a constant description of the plugin and its
 * checks. Nothing else is looked up; a plugin links against nothing from the
 * host (host services arrive as a table of function pointers, `hh_host`).
 *
 * -------------------------------------------------------------------------
 * A COMPLETE PLUGIN (build: cc -std=c99 -shared -fPIC -fvisibility=hidden \
 *                            -I/path/to/include -o hh-hello.so hello.c)
 * -------------------------------------------------------------------------
 *
 *     #include "healthhost_plugin.h"
 *
 *     static int check_hello(const hh_call *call, hh_result *out) {
 *         (void)call;
 *         hh_result_set_message(out, "hello from %s", "C");
 *         hh_result_set_observed(out, 42.0, "answers");
 *         return HH_PASS;
 *     }
 *
 *     static const hh_check checks[] = {
 *         { .name = "hello", .summary = "Always passes, politely.",
 *           .run = check_hello, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE },
 *     };
 *
 *     static const hh_plugin plugin = {
 *         HH_PLUGIN_HEADER,
 *         .name = "hello", .version = "1.0.0", .summary = "A friendly example.",
 *         HH_PLUGIN_CHECKS(checks),
 *     };
 *
 *     HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
 *
 * Install it by listing the file (or a folder holding it) under
 * `plugins.paths` in the host config. When a FOLDER is listed, the host loads
 * only the files in it (not in sub-folders) whose name matches `hh-*.so` or
 * `libhh-*.so`; any other file there (helper libraries, READMEs) is ignored.
 * A file listed by its own path is loaded whatever its name.
 *
 * -------------------------------------------------------------------------
 * VERSIONING AND COMPATIBILITY
 * -------------------------------------------------------------------------
 * - The MAJOR version is part of the entry symbol's name. An incompatible
 *   ABI 2 would use `hh_plugin_entry_v2`; a host may support several.
 * - `hh_plugin.abi_version` records the header version the plugin was built
 *   against (HH_ABI_VERSION, set by HH_PLUGIN_HEADER). The host accepts a
 *   plugin when the MAJOR versions are equal and the plugin's MINOR version is
 *   not newer than the host's. Otherwise it refuses the plugin with an error
 *   naming the file and both versions ("plugin built for ABI 1.3, this host
 *   supports ABI 1.0 to 1.2").
 * - Minor versions only APPEND fields to the end of structs and add new
 *   constants. Every struct that may grow starts with (or carries) its own
 *   size, so each side reads only the fields the other side knows about.
 *   Fields are never removed, reordered or re-typed within a major version.
 * - Unknown bits in any `flags` field are rejected by the host (a plugin built
 *   for a newer minor would otherwise be misread silently).
 * - History: 1.0 the first release. 1.1 appends `info_section` and `info` to
 *   hh_plugin (an info section for the host's environment endpoints). A 1.0
 *   plugin loads unchanged on a 1.1 host; rebuilding it against this header
 *   needs no source change. 1.2 appends `args` and `arg_count` to hh_call
 *   and adds hh_arg and HH_CHECK_ARGS_IN_CALL (see CHECKS WITH PARAMETERS);
 *   hosts from 1.2 on call parameterised checks (1.0 already declared them).
 *   1.2 also appends `swift_version` to hh_plugin (for Swift plugins).
 *   1.3 appends `validate` to hh_plugin: arguments checked at start-up.
 *   Later 1.3 headers change no layout (so no new minor, and plugins built
 *   with them load on every 1.3 host): `context` (hh_check, hh_call) is
 *   `const void *` (the host never writes through it), the entry symbol is
 *   declared here, HH_CHECK_PARAMS counts a parameter array, and
 *   HH_TARGET_ABI_MINOR builds a plugin for an older host.
 *
 * -------------------------------------------------------------------------
 * LIFECYCLE (in this order, each step at most once per process)
 * -------------------------------------------------------------------------
 * 1. dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE). Plugins are NEVER
 *    unloaded (dlclose of an image that holds Swift code, or that registered
 *    thread-local destructors, crashes the host later). Keep constructors
 *    (`__attribute__((constructor))`, static initialisers) free of side
 *    effects: the host also loads plugins for `healthhost validate` and
 *    `healthhost plugins`.
 * 2. The host calls `hh_plugin_entry_v1()` once, validates the descriptor and
 *    copies what it needs. Do no work here; return a pointer to static data.
 * 3. `init` (optional) is called once with the plugin's host table and its
 *    configuration. If it fails, the plugin is not used (and `shutdown` is
 *    not called).
 * 4. `run` functions of the checks are called any number of times, from
 *    host worker threads (not necessarily the same thread twice), never
 *    from an HTTP event loop. See THREADS below.
 * 5. `info` (optional, ABI 1.1) is called whenever someone requests one of
 *    the host's environment endpoints (never during a probe), between
 *    `init` and `shutdown`. See INFO SECTIONS below.
 * 6. `shutdown` (optional) is called once when the host stops, after it has
 *    stopped starting checks. It is skipped if a check of this plugin is
 *    still running past its timeout (the host then logs that it skipped it).
 *
 * -------------------------------------------------------------------------
 * THREADS
 * -------------------------------------------------------------------------
 * - A check WITHOUT HH_CHECK_THREAD_SAFE is never run concurrently with
 *   itself: the host serialises calls of that `hh_check`.
 * - A check WITH HH_CHECK_THREAD_SAFE may run on several threads at once.
 * - DIFFERENT checks of one plugin may run at the same time on different
 *   threads, whatever their flags: protect state shared between checks.
 * - `init` and `shutdown` never overlap with each other or with any `run`.
 * - The functions in `hh_host` may be called from any thread at any time
 *   between `init` and the end of `shutdown`.
 *
 * -------------------------------------------------------------------------
 * MEMORY AND STRINGS
 * -------------------------------------------------------------------------
 * - Every string is UTF-8 and NUL-terminated. The host repairs invalid
 *   UTF-8 (U+FFFD) in anything it reads from a plugin.
 * - OWNERSHIP: the plugin owns its descriptor, its check array and every
 *   string they point to; they must stay valid and unchanged for the life of
 *   the process (use static storage). The host copies them once.
 * - OWNERSHIP: the host owns every buffer it hands to the plugin (`hh_call`,
 *   `hh_result` and its buffers, the `init` error buffer, `hh_host`). The
 *   plugin writes at most `*_capacity` bytes into them and never frees them;
 *   pointers into an `hh_call` or `hh_result` are valid only until `run`
 *   returns. The host never frees plugin memory and the plugin never hands
 *   the host memory to free.
 * - Use the hh_result_set_* helpers below: they bound every copy and never
 *   cut a UTF-8 character in half.
 *
 * -------------------------------------------------------------------------
 * NAMES
 * -------------------------------------------------------------------------
 * Plugin, check and parameter names: 1 to 64 bytes of [a-z0-9_.-]. The plugin
 * name must be unique among loaded plugins; check names unique within their
 * plugin; parameter names unique within their check. The host refuses a
 * plugin that breaks a rule and says which name and which rule.
 *
 * This header compiles cleanly with `cc -std=c99 -Wall -Wextra -pedantic`
 * and as C++.
 */
#ifndef HEALTHHOST_PLUGIN_H
#define HEALTHHOST_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions and the entry symbol                                            */
/* ------------------------------------------------------------------------ */

/** Major version: changes only with an incompatible ABI (and entry name). */
#define HH_ABI_VERSION_MAJOR 1
/** Minor version: grows when fields or constants are appended. */
#define HH_ABI_VERSION_MINOR 3
/** Both in one number: (major << 16) | minor. Stored in hh_plugin.abi_version. */
#define HH_ABI_VERSION ((uint32_t)((HH_ABI_VERSION_MAJOR << 16) | HH_ABI_VERSION_MINOR))

/**
 * The minor version a plugin is built for; the newest by default. A plugin that
 * must load on older hosts defines it before including this header, e.g.
 *     #define HH_TARGET_ABI_MINOR 2   (hosts 1.2 and newer)
 *     #include "healthhost_plugin.h"
 * HH_PLUGIN_HEADER then stamps that version and the descriptor size of that
 * version, so hosts of that minor accept it and newer hosts read only the fields
 * it knew (set none added later: they would be ignored).
 */
#ifndef HH_TARGET_ABI_MINOR
#define HH_TARGET_ABI_MINOR HH_ABI_VERSION_MINOR
#endif
#if HH_TARGET_ABI_MINOR > HH_ABI_VERSION_MINOR
#error "HH_TARGET_ABI_MINOR is newer than this header"
#endif
/** The major part of an encoded ABI version. */
#define HH_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
/** The minor part of an encoded ABI version. */
#define HH_ABI_MINOR_OF(v) ((uint32_t)(v) & 0xffffu)

/** The one symbol the host looks up, as a string for dlsym(). */
#define HH_PLUGIN_ENTRY_SYMBOL "hh_plugin_entry_v1"

/** Marks a function as exported even when building with
 *  -fvisibility=hidden (recommended: export nothing but the entry). */
#if defined(__GNUC__) || defined(__clang__)
#define HH_EXPORT __attribute__((visibility("default")))
#else
#define HH_EXPORT
#endif

/* ------------------------------------------------------------------------ */
/* Check outcome                                                            */
/* ------------------------------------------------------------------------ */

/** What a check's `run` returns. The values are Nagios exit codes. Any other
 *  value is reported as a failure ("plugin returned invalid status N"). */
enum {
    HH_PASS = 0, /**< Healthy. */
    HH_WARN = 1, /**< Working but degraded (counts as passing for probes). */
    HH_FAIL = 2  /**< Not healthy. */
};

/* ------------------------------------------------------------------------ */
/* Host services                                                            */
/* ------------------------------------------------------------------------ */

/** Log levels for hh_host.log. */
enum {
    HH_LOG_DEBUG = 0,
    HH_LOG_INFO = 1,
    HH_LOG_WARNING = 2,
    HH_LOG_ERROR = 3
};

typedef struct hh_host hh_host;

/**
 * The table of host services. Each plugin gets its own table (so the host
 * knows who is logging); it is passed to `init`, to every `run` (in hh_call)
 * and to `shutdown`, and stays valid for the life of the process.
 * OWNERSHIP: host. The plugin must not write to it.
 * Before using a field added in a later minor version, check `struct_size`:
 *     if (host->struct_size >= offsetof(hh_host, new_field) + sizeof host->new_field)
 */
struct hh_host {
    /** The host's HH_ABI_VERSION. */
    uint32_t abi_version;
    /** sizeof(hh_host) in the host. */
    uint32_t struct_size;
    /** Host version text, e.g. "healthhost 0.1.0". */
    const char *host_version;
    /** Opaque host data; pass the table itself to the functions below. */
    void *host_context;
    /**
     * Writes one line to the host's log, attributed to this plugin.
     * `level` is an HH_LOG_* value; `message` is copied (at most 4096 bytes
     * are kept). Thread-safe. Never log secrets: the host replaces the values
     * of HH_PARAM_SECRET arguments with "********", but cannot tell any other
     * secret from text.
     */
    void (*log)(const hh_host *host, int level, const char *message);
    /**
     * Looks up one scalar of this plugin's configuration (the map under
     * `plugins.config.<plugin name>` in the host config) by dotted key, e.g.
     * "database.host". Returns the value as text ("true", "2.5", "abc"), or
     * NULL when the key is missing or names a list or a map.
     * OWNERSHIP: host; the text stays valid for the life of the process.
     */
    const char *(*config_get)(const hh_host *host, const char *key);
};

/* ------------------------------------------------------------------------ */
/* One call of a check                                                      */
/* ------------------------------------------------------------------------ */

/**
 * One argument of a parameterised check (ABI 1.2): the configured value of
 * one declared hh_param, already converted to its type. Read the field that
 * matches `type`; the others are zero / NULL. OWNERSHIP: host; valid only
 * until `run` returns (copy what you keep).
 */
typedef struct hh_arg {
    /* FROZEN: hh_arg carries no size, so it never grows within ABI 1. */
    /** The parameter's name, as declared in hh_param.name. */
    const char *name;
    /** The parameter's hh_param_type. */
    uint32_t type;
    /** HH_PARAM_STRING: the text (UTF-8, NUL-terminated, never NULL). */
    const char *string_value;
    /** HH_PARAM_INT: the number. */
    int64_t int_value;
    /** HH_PARAM_DOUBLE: the number (always finite). */
    double double_value;
    /** HH_PARAM_BOOL: the truth value. */
    bool bool_value;
} hh_arg;

/**
 * Facts about the current call, passed to `run`. OWNERSHIP: host; valid only
 * until `run` returns. Later minor versions may append fields (check
 * `struct_size`).
 */
typedef struct hh_call {
    /** sizeof(hh_call) in the host. */
    uint32_t struct_size;
    /** The limit the host applies to this call, in milliseconds. After it,
     *  the host reports the check as failed and stops waiting (the thread is
     *  not killed: a check should honour the limit itself, e.g. as a socket
     *  timeout). */
    uint32_t timeout_ms;
    /** This plugin's host table (the same one `init` received). */
    const hh_host *host;
    /** The check's `context` from its hh_check entry. */
    const void *context;
    /** The name this check is configured under in the host (one plugin
     *  check can back several configured checks), e.g. "db-primary". */
    const char *configured_name;
    /* ---- ABI 1.2 ---- */
    /** The check's arguments, one per declared parameter in declaration
     *  order (so `args[i]` belongs to `params[i]`); NULL when the check
     *  declares none. Filled for every parameterised check, whichever way
     *  it receives them (see CHECKS WITH PARAMETERS). Present whenever the
     *  plugin was built against ABI 1.2 or later: older hosts refuse such
     *  plugins. */
    const hh_arg *args;
    /** Number of entries in `args` (= the check's param_count). */
    uint32_t arg_count;
} hh_call;

/**
 * Where a check writes its outcome text. OWNERSHIP: host; the buffers hold
 * `*_capacity` bytes including the terminating NUL, arrive as empty strings,
 * and are valid only until `run` returns. Prefer the helpers below to writing
 * the fields directly.
 */
typedef struct hh_result {
    /** sizeof(hh_result) in the host. */
    uint32_t struct_size;
    /** Bytes available at `message`, including the NUL (at least 256). */
    uint32_t message_capacity;
    /** Human-readable outcome, e.g. "12 GB free". Shown in API responses:
     *  never put secrets here. */
    char *message;
    /** Bytes available at `unit`, including the NUL (at least 32). */
    uint32_t unit_capacity;
    /** Unit of `observed_value`, e.g. "ms", "bytes", "percent". */
    char *unit;
    /** Set to true when `observed_value` holds a measurement. */
    bool has_observed_value;
    /** The measured value behind the outcome (latency, free space...). */
    double observed_value;
} hh_result;

/* ------------------------------------------------------------------------ */
/* Checks and their typed parameters                                        */
/* ------------------------------------------------------------------------ */

/**
 * A check function. Writes details into `out` and returns HH_PASS, HH_WARN or
 * HH_FAIL. It must return on its own (honour `call->timeout_ms`); it must not
 * call exit(), longjmp out, or throw a C++ exception.
 *
 * -------------------------------------------------------------------------
 * CHECKS WITH PARAMETERS
 * -------------------------------------------------------------------------
 * One check function can serve many configured checks with different
 * arguments (a disk check for "/" and one for "/var/lib/postgresql"). Declare
 * the parameters in hh_check.params; the operator gives values in the host
 * config, checked against the declared types before the host starts:
 *
 *     checks:
 *       - name: data-disk
 *         plugin: disk
 *         check: free_space
 *         args: { path: /var/lib/postgresql, min_free_mb: 2048 }
 *
 * The function receives the values in ONE of two ways, chosen per check:
 *
 * (a) As C arguments: after `out`, one per declared parameter, in
 *     declaration order, with the C type given for its hh_param_type
 *     (HH_PARAM_INT is int64_t, not int). Store the function with
 *     HH_PARAMETERIZED (a cast compilers do not warn about); the host calls it
 *     with exactly the declared signature. The declared types MUST match the
 *     function's parameters: the host cannot see its real signature, and a
 *     mismatch reads garbage.
 * (b) In `call->args` (ABI 1.2; handy for bindings from other languages):
 *     set HH_CHECK_ARGS_IN_CALL, keep the plain two-argument signature and
 *     find values with hh_call_arg().
 *
 * A COMPLETE PLUGIN WITH PARAMETERS, one check each way (build it like the
 * first example; the host config above then serves "data-disk"):
 *
 *     #define _POSIX_C_SOURCE 200809L
 *     #include <inttypes.h>
 *     #include <stdlib.h>
 *     #include <sys/statvfs.h>
 *     #include "healthhost_plugin.h"
 *
 *     // (a) Parameters as C arguments.
 *     static int check_free_space(const hh_call *call, hh_result *out,
 *                                 const char *path, int64_t min_free_mb) {
 *         struct statvfs fs;
 *         int64_t free_mb;
 *         (void)call;
 *         if (statvfs(path, &fs) != 0) {
 *             hh_result_set_message(out, "cannot read the file system at %s", path);
 *             return HH_FAIL;
 *         }
 *         free_mb = (int64_t)((double)fs.f_bavail * (double)fs.f_frsize / 1048576.0);
 *         hh_result_set_message(out, "%" PRId64 " MB free at %s", free_mb, path);
 *         hh_result_set_observed(out, (double)free_mb, "MB");
 *         return free_mb >= min_free_mb ? HH_PASS : HH_FAIL;
 *     }
 *     static const hh_param free_space_params[] = {
 *         { .name = "path", .type = HH_PARAM_STRING, .default_value = "/",
 *           .summary = "Any path on the file system." },
 *         { .name = "min_free_mb", .type = HH_PARAM_INT },  // no default: required
 *     };
 *
 *     // (b) Parameters from call->args.
 *     static int check_env(const hh_call *call, hh_result *out) {
 *         const char *name = hh_call_arg(call, "name")->string_value;
 *         bool required = hh_call_arg(call, "required")->bool_value;
 *         if (getenv(name) != NULL) {
 *             hh_result_set_message(out, "%s is set", name);
 *             return HH_PASS;
 *         }
 *         hh_result_set_message(out, "%s is not set", name);
 *         return required ? HH_FAIL : HH_WARN;
 *     }
 *     static const hh_param env_params[] = {
 *         { .name = "name", .type = HH_PARAM_STRING },
 *         { .name = "required", .type = HH_PARAM_BOOL, .default_value = "true" },
 *     };
 *
 *     static const hh_check checks[] = {
 *         { .name = "free_space", .run = HH_PARAMETERIZED(check_free_space),
 *           HH_CHECK_PARAMS(free_space_params), .flags = HH_CHECK_THREAD_SAFE },
 *         { .name = "env", .run = check_env, HH_CHECK_PARAMS(env_params),
 *           .flags = HH_CHECK_THREAD_SAFE | HH_CHECK_ARGS_IN_CALL },
 *     };
 *
 *     static const hh_plugin plugin = {
 *         HH_PLUGIN_HEADER,
 *         .name = "disk", .version = "1.0.0", HH_PLUGIN_CHECKS(checks),
 *     };
 *
 *     HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
 *
 * hh_call_arg() returns NULL only for a name the check does not declare, so
 * the lookups above cannot fail; every declared parameter has a value.
 * Either way `call->args` holds the values too. A missing argument takes
 * the parameter's `default_value`; one without a default must be configured
 * (the host refuses to start otherwise and names the check and parameter).
 * String arguments are borrowed: copy them to keep them past `run`. The
 * value of an HH_PARAM_SECRET parameter is never shown by the host, and the
 * host replaces it with "********" wherever it appears in the message or in
 * a line the plugin logs.
 * Without a `checks` list in the host config, the host serves each check
 * whose parameters all have defaults, with those defaults.
 */
typedef int (*hh_check_fn)(const hh_call *call, hh_result *out);

/** Stores a check function that takes declared parameters as C arguments in
 *  hh_check.run. (Casting through void (*)(void) keeps -Wcast-function-type
 *  quiet.) */
#define HH_PARAMETERIZED(fn) ((hh_check_fn)(void (*)(void))(fn))

/** The type of one check parameter and the C type it is passed as. */
typedef enum hh_param_type {
    HH_PARAM_STRING = 1, /**< const char * (UTF-8, NUL-terminated, borrowed) */
    HH_PARAM_INT = 2,    /**< int64_t */
    HH_PARAM_DOUBLE = 3, /**< double */
    HH_PARAM_BOOL = 4    /**< bool (C99 _Bool) */
} hh_param_type;

/** Parameter flags. */
enum {
    /** The value is secret (password, token): never shown in responses,
     *  logs or `healthhost plugins`; always printed as "********". */
    HH_PARAM_SECRET = 1u << 0
};

/**
 * Declares one typed parameter of a check. Its value comes from the
 * configured check's `args` map under the parameter's name, converted to
 * `type`; a missing argument uses `default_value` (text in the parameter's
 * type, e.g. "5", "2.5", "true"), and is a configuration error when
 * `default_value` is NULL.
 */
typedef struct hh_param {
    /* FROZEN: hh_param carries no size, so it never grows within ABI 1 (a new
     * per-parameter property would come as a new array beside `params`). */
    /** Argument name in the config, [a-z0-9_.-]{1,64}. */
    const char *name;
    /** An hh_param_type value. */
    uint32_t type;
    /** HH_PARAM_* bits. */
    uint32_t flags;
    /** Default as text, or NULL when the argument is required. */
    const char *default_value;
    /** One line for `healthhost plugins` and docs. May be NULL. */
    const char *summary;
} hh_param;

/** Check flags. */
enum {
    /** Part of the default set: runs when a request names no checks. The
     *  host config may override this per configured check. */
    HH_CHECK_DEFAULT = 1u << 0,
    /** `run` may be called on several threads at once. Without this flag the
     *  host never runs this check concurrently with itself. */
    HH_CHECK_THREAD_SAFE = 1u << 1,
    /** (ABI 1.2) `run` has the plain two-argument signature and reads its
     *  parameters from `call->args` (see CHECKS WITH PARAMETERS). */
    HH_CHECK_ARGS_IN_CALL = 1u << 2
};

/**
 * Describes one check. Plugins give an array of these (hh_plugin.checks).
 * Fields added in later minor versions are appended; the array's element
 * size travels in hh_plugin.check_size, so keep using HH_PLUGIN_CHECKS.
 */
typedef struct hh_check {
    /** [a-z0-9_.-]{1,64}, unique within the plugin. */
    const char *name;
    /** One line saying what a failure means. May be NULL. */
    const char *summary;
    /** The check function (see hh_check_fn). Required. */
    hh_check_fn run;
    /** Passed back as hh_call.context. Plugin-owned; may be NULL. The host
     *  never reads or writes through it (const: point it at const data
     *  without a cast; plugins that store a non-const pointer still build). */
    const void *context;
    /** HH_CHECK_* bits. */
    uint32_t flags;
    /** Suggested timeout in milliseconds; 0 = the host's default. The host
     *  config may override it. */
    uint32_t timeout_ms;
    /** Typed parameters (see CHECKS WITH PARAMETERS), or NULL when
     *  param_count is 0. */
    const hh_param *params;
    /** Number of entries in `params` (at most 16). */
    uint32_t param_count;
} hh_check;

/* ------------------------------------------------------------------------ */
/* The plugin                                                               */
/* ------------------------------------------------------------------------ */

/**
 * Optional start-up hook, called once before any check runs.
 * - `host`: this plugin's host table (keep the pointer: valid forever).
 * - `config_json`: this plugin's configuration (the value under
 *   `plugins.config.<plugin name>` in the host config) as JSON text; "{}"
 *   when there is none. Borrowed: copy what you keep.
 * - On failure, write a one-line reason into `error` (at most
 *   `error_capacity` bytes including the NUL; the helper hh_format does it)
 *   and return non-zero. The host then reports
 *   "plugin FILE: init failed: <your text>" and does not use the plugin.
 * Return 0 on success.
 */
typedef int (*hh_init_fn)(const hh_host *host, const char *config_json,
                          char *error, size_t error_capacity);

/** Optional stop hook, called once at host shutdown (see LIFECYCLE). */
typedef void (*hh_shutdown_fn)(const hh_host *host);

/* ------------------------------------------------------------------------ */
/* Info sections (ABI 1.1)                                                  */
/* ------------------------------------------------------------------------ */

/*
 * INFO SECTIONS
 * A plugin may contribute one section of key/value text to the host's
 * environment endpoints (`/environment`, `/.well-known/heartbeat/environ`,
 * `/z/info`), e.g. the version of the server it talks to:
 *
 *     static int info(const hh_host *host, hh_info *info) {
 *         (void)host;
 *         hh_info_put(info, "server_version", "16.2");
 *         hh_info_putf(info, "pool_size", "%d", 8);
 *         return 0;
 *     }
 *     static const hh_plugin plugin = {
 *         HH_PLUGIN_HEADER, .name = "pg", ..., HH_PLUGIN_CHECKS(checks),
 *         .info_section = "postgres", .info = info,
 *     };
 *
 * - The section appears under `info_section` (the plugin's name when NULL),
 *   [a-z0-9_.-]{1,64}. It must not be the name of a built-in section (os,
 *   runtime, process, config, plugins, app, libraries, status, swift,
 *   trace.attributes) nor another plugin's section: the host refuses to
 *   start and names both.
 * - `info` is called on a host worker thread, never concurrently with
 *   itself, possibly while checks run. It must return quickly: the host
 *   waits at most its default check timeout (`engine.timeout`, 5 s unless
 *   configured), then shows an error for the section; while a call has not
 *   returned, later requests get an error at once instead of a second call.
 * - Keys: 1 to 128 bytes; values: UTF-8 text, at most 4096 bytes kept; at
 *   most 256 entries (more are dropped). A repeated key replaces the earlier
 *   value. Both are copied by the host during the call.
 * - Values whose key contains "key", "token", "pass" or "secret" (any case)
 *   are shown as "********". Do not rely on it: never put secrets here.
 * - Return 0. On failure, put an entry "error" with the reason and return
 *   non-zero: the section then shows only that reason.
 */

typedef struct hh_info hh_info;

/** Collects one info section's entries. OWNERSHIP: host; valid only until
 *  `info` returns. Later minor versions may append fields (check
 *  `struct_size`). */
struct hh_info {
    /** sizeof(hh_info) in the host. */
    uint32_t struct_size;
    /** Opaque host data. */
    void *host_context;
    /** Adds one entry (see INFO SECTIONS). NULL key or value: ignored. */
    void (*put)(hh_info *info, const char *key, const char *value);
};

/** Fills the plugin's info section through `info` (see INFO SECTIONS).
 *  Return 0 on success. */
typedef int (*hh_info_fn)(const hh_host *host, hh_info *info);

/**
 * Optional (ABI 1.3): called at start-up once per configured check that has
 * parameters, with the check's name and its arguments as hh_call.args would
 * carry them (`args[i]` is the value of the check's i-th parameter), before any
 * call. Return 0 when they can work; else write one line saying which argument
 * and why into `error` (hh_format helps) and return non-zero: the host then stops
 * start-up with "checks[N].args: <your text>" and the config line. Called in the
 * process that runs the plugin (its worker, when isolated), after `init`.
 */
typedef int (*hh_validate_fn)(const hh_host *host, const char *check_name, const hh_arg *args,
                              uint32_t arg_count, char *error, size_t error_capacity);

/**
 * The plugin descriptor returned by the entry symbol.
 * Start every initialiser with HH_PLUGIN_HEADER and name the checks with
 * HH_PLUGIN_CHECKS(array); the host reads nothing beyond `struct_size`.
 */
typedef struct hh_plugin {
    /** HH_ABI_VERSION of the header the plugin was built with. FIRST FIELD. */
    uint32_t abi_version;
    /** sizeof(hh_plugin) in the plugin. SECOND FIELD. */
    uint32_t struct_size;
    /** [a-z0-9_.-]{1,64}, unique among the host's plugins; the config refers
     *  to the plugin by this name. */
    const char *name;
    /** The plugin's own version, e.g. "1.4.2" (free text, 1-64 bytes). */
    const char *version;
    /** One line saying what the plugin checks. May be NULL. */
    const char *summary;
    /** The checks. May be NULL when check_count is 0. */
    const hh_check *checks;
    /** Number of entries in `checks` (at most 1024). */
    uint32_t check_count;
    /** sizeof(hh_check) in the plugin: the stride of `checks`. */
    uint32_t check_size;
    /** Optional; NULL when not needed. */
    hh_init_fn init;
    /** Optional; NULL when not needed. */
    hh_shutdown_fn shutdown;
    /* ---- ABI 1.1 ---- */
    /** Name of the plugin's info section; NULL = the plugin's name. Used only
     *  when `info` is set. */
    const char *info_section;
    /** Optional; NULL when the plugin has no info section. */
    hh_info_fn info;
    /* ---- ABI 1.2 ---- */
    /** Plugins that link the Swift runtime only (the Swift SDK sets it): the
     *  Swift version they were compiled with, "MAJOR.MINOR" (e.g. "6.3").
     *  Swift has no stable runtime ABI on Linux, and a plugin shares the
     *  host's runtime, so the host refuses a plugin whose Swift version
     *  differs from its own, naming both. NULL for C and other plugins. */
    const char *swift_version;
    /* ---- ABI 1.3 ---- */
    /** Optional: checks the arguments of one configured check at start-up, once the
     *  host has parsed them (so `healthhost validate` and `serve` refuse a config
     *  whose arguments cannot work, naming the key and line). See hh_validate_fn. */
    hh_validate_fn validate;
} hh_plugin;

/** sizeof(hh_plugin) as minor version `minor` laid it out. */
#define HH_PLUGIN_SIZE_FOR_MINOR(minor)                                      \
    ((minor) >= 3   ? (uint32_t)sizeof(hh_plugin)                            \
     : (minor) == 2 ? (uint32_t)offsetof(hh_plugin, validate)                \
     : (minor) == 1 ? (uint32_t)offsetof(hh_plugin, swift_version)           \
                    : (uint32_t)offsetof(hh_plugin, info_section))

/** The first two fields of every hh_plugin initialiser: the targeted version
 *  (HH_TARGET_ABI_MINOR, the newest unless set) and its descriptor size. */
#define HH_PLUGIN_HEADER                                                     \
    .abi_version = (uint32_t)((HH_ABI_VERSION_MAJOR << 16) | HH_TARGET_ABI_MINOR), \
    .struct_size = HH_PLUGIN_SIZE_FOR_MINOR(HH_TARGET_ABI_MINOR)

/** Points an hh_check at a static array of hh_param (params and param_count). */
#define HH_CHECK_PARAMS(array) \
    .params = (array), .param_count = (uint32_t)(sizeof(array) / sizeof((array)[0]))

/** Points the descriptor at a static array of hh_check. */
#define HH_PLUGIN_CHECKS(array)                                              \
    .checks = (array), .check_count = (uint32_t)(sizeof(array) / sizeof((array)[0])), \
    .check_size = (uint32_t)sizeof(hh_check)

/**
 * The type of the entry symbol. Define it in exactly one file as
 *     HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
 * Return NULL to refuse loading (the host reports it as an error).
 */
typedef const hh_plugin *(*hh_plugin_entry_fn)(void);

#ifndef __swift__
/**
 * The entry symbol itself, declared so a typo in its definition is an error,
 * -Wmissing-prototypes stays quiet, and in C++ it keeps C linkage (this block is
 * inside extern "C"): define it as
 *     HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
 * (Hidden from Swift, where the SDK defines it with @c(hh_plugin_entry_v1).)
 */
HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void);
#endif

/* ------------------------------------------------------------------------ */
/* Helpers (header-only: a plugin needs no library from the host)           */
/* ------------------------------------------------------------------------ */

/** Cuts `buffer` (NUL-terminated) back so it does not end in the middle of a
 *  UTF-8 sequence. Used after a truncating copy. */
static inline void hh_utf8_trim_partial(char *buffer) {
    size_t len = strlen(buffer);
    size_t start = len;
    size_t need;
    unsigned char lead;
    if (len == 0) return;
    /* walk back over continuation bytes (10xxxxxx), at most 3 */
    while (start > 0 && len - start < 4 &&
           (((unsigned char)buffer[start - 1]) & 0xC0u) == 0x80u) {
        start--;
    }
    if (start == 0) { /* only continuation bytes: drop them */
        buffer[0] = '\0';
        return;
    }
    lead = (unsigned char)buffer[start - 1];
    if (lead < 0x80u) return; /* ASCII: complete */
    need = (lead >= 0xF0u) ? 4 : (lead >= 0xE0u) ? 3 : (lead >= 0xC0u) ? 2 : 1;
    if (len - (start - 1) < need) buffer[start - 1] = '\0';
}

/** printf-style formatting into a bounded buffer of `capacity` bytes, never
 *  cutting a UTF-8 character. Does nothing when buffer is NULL or capacity 0. */
static inline void hh_vformat(char *buffer, size_t capacity, const char *format, va_list args) {
    int written;
    if (buffer == NULL || capacity == 0) return;
    written = vsnprintf(buffer, capacity, format, args);
    if (written < 0) {
        buffer[0] = '\0';
    } else if ((size_t)written >= capacity) {
        hh_utf8_trim_partial(buffer);
    }
}

/** printf-style formatting into a bounded buffer (see hh_vformat). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static inline void hh_format(char *buffer, size_t capacity, const char *format, ...) {
    va_list args;
    va_start(args, format);
    hh_vformat(buffer, capacity, format, args);
    va_end(args);
}

/** Sets the result message, printf-style, truncated to the host's buffer. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void hh_result_set_message(hh_result *out, const char *format, ...) {
    va_list args;
    if (out == NULL) return;
    va_start(args, format);
    hh_vformat(out->message, out->message_capacity, format, args);
    va_end(args);
}

/** Records the measured value behind the outcome and its unit (may be NULL). */
static inline void hh_result_set_observed(hh_result *out, double value, const char *unit) {
    if (out == NULL) return;
    out->observed_value = value;
    out->has_observed_value = true;
    if (unit != NULL) hh_format(out->unit, out->unit_capacity, "%s", unit);
}

/** Adds one entry to an info section (see INFO SECTIONS). */
static inline void hh_info_put(hh_info *info, const char *key, const char *value) {
    if (info == NULL || info->put == NULL) return;
    info->put(info, key, value);
}

/** Adds one entry whose value is formatted printf-style (at most 4095 bytes). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static inline void hh_info_putf(hh_info *info, const char *key, const char *format, ...) {
    char value[4096];
    va_list args;
    if (info == NULL || info->put == NULL) return;
    va_start(args, format);
    hh_vformat(value, sizeof value, format, args);
    va_end(args);
    info->put(info, key, value);
}

/** The argument named `name` of the current call (ABI 1.2; see CHECKS WITH
 *  PARAMETERS), or NULL when the check declares no such parameter. */
static inline const hh_arg *hh_call_arg(const hh_call *call, const char *name) {
    uint32_t i;
    if (call == NULL || name == NULL || call->args == NULL) return NULL;
    if (call->struct_size < offsetof(hh_call, arg_count) + sizeof call->arg_count) return NULL;
    for (i = 0; i < call->arg_count; i++) {
        if (call->args[i].name != NULL && strcmp(call->args[i].name, name) == 0) return &call->args[i];
    }
    return NULL;
}

/** Logs printf-style through the host table (see hh_host.log). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static inline void hh_log(const hh_host *host, int level, const char *format, ...) {
    char line[1024];
    va_list args;
    if (host == NULL || host->log == NULL) return;
    va_start(args, format);
    hh_vformat(line, sizeof line, format, args);
    va_end(args);
    host->log(host, level, line);
}

#ifdef __cplusplus
}
#endif

#endif /* HEALTHHOST_PLUGIN_H */
