/* What the bundled plugins with kept connections share: state per configured check,
 * and secrets read from files. */
#ifndef HEALTHHOST_PLUGIN_SLOTS_H
#define HEALTHHOST_PLUGIN_SLOTS_H

#include <pthread.h>
#include <stddef.h>

/* One entry per configured check (hh_call.configured_name), created on first use. The
 * engine never runs a configured check twice at once, so each entry is used by one
 * thread at a time; the list itself is locked. */
typedef struct plugin_slot {
    char *configured_name;
    void *state; /* `state_size` zeroed bytes, the plugin's own */
    struct plugin_slot *next;
} plugin_slot;

typedef struct plugin_slots {
    pthread_mutex_t lock;
    plugin_slot *first;
    size_t state_size;
} plugin_slots;

#define PLUGIN_SLOTS_INITIALIZER(type) {PTHREAD_MUTEX_INITIALIZER, NULL, sizeof(type)}

/* The state of `configured_name`, zeroed when new; NULL when out of memory. */
void *plugin_slot_state(plugin_slots *slots, const char *configured_name);

/* Calls `release` on every state, then frees the list (plugin shutdown). */
void plugin_slots_free(plugin_slots *slots, void (*release)(void *state));

/* Reads the first line of `path` (without its line break) into `out`; on failure writes
 * "cannot read <what> <path>: <reason>" into `error` and returns 0. */
int plugin_read_first_line(const char *path, const char *what, char *out, size_t capacity, char *error,
                           size_t error_size);

/* The secret: `value` itself, or the first line of `file` when `file` is not empty. */
int plugin_secret(const char *value, const char *file, const char *what, char *out, size_t capacity, char *error,
                  size_t error_size);

#endif
