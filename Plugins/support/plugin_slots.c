#define _GNU_SOURCE
#include "plugin_slots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *plugin_slot_state(plugin_slots *slots, const char *configured_name) {
    plugin_slot *entry;
    void *state = NULL;
    pthread_mutex_lock(&slots->lock);
    for (entry = slots->first; entry; entry = entry->next)
        if (strcmp(entry->configured_name, configured_name) == 0) break;
    if (!entry) {
        entry = calloc(1, sizeof *entry);
        if (entry) {
            entry->configured_name = strdup(configured_name);
            entry->state = calloc(1, slots->state_size);
            if (!entry->configured_name || !entry->state) {
                free(entry->configured_name);
                free(entry->state);
                free(entry);
                entry = NULL;
            } else {
                entry->next = slots->first;
                slots->first = entry;
            }
        }
    }
    if (entry) state = entry->state;
    pthread_mutex_unlock(&slots->lock);
    return state;
}

void plugin_slots_free(plugin_slots *slots, void (*release)(void *state)) {
    pthread_mutex_lock(&slots->lock);
    while (slots->first) {
        plugin_slot *next = slots->first->next;
        if (release) release(slots->first->state);
        free(slots->first->state);
        free(slots->first->configured_name);
        free(slots->first);
        slots->first = next;
    }
    pthread_mutex_unlock(&slots->lock);
}

int plugin_read_first_line(const char *path, const char *what, char *out, size_t capacity, char *error,
                           size_t error_size) {
    FILE *file = fopen(path, "r");
    size_t length;
    out[0] = 0;
    if (!file) {
        snprintf(error, error_size, "cannot read %s %s: %s", what, path, strerror(errno));
        return 0;
    }
    if (!fgets(out, (int)capacity, file)) out[0] = 0;
    fclose(file);
    length = strlen(out);
    while (length > 0 && (out[length - 1] == '\n' || out[length - 1] == '\r')) out[--length] = 0;
    return 1;
}

int plugin_secret(const char *value, const char *file, const char *what, char *out, size_t capacity, char *error,
                  size_t error_size) {
    if (file && file[0]) return plugin_read_first_line(file, what, out, capacity, error, error_size);
    snprintf(out, capacity, "%s", value ? value : "");
    return 1;
}
