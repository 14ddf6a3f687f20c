/*
 * mysql — `ping`: runs `query` (SELECT 1) on MySQL or MariaDB over one libmariadb
 * connection per configured check, kept between calls and opened again after a
 * failure or when `password_file` changed.
 */
#define _GNU_SOURCE
#include "healthhost_plugin.h"

#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct connection {
    char *configured_name;
    MYSQL *db;
    char password[512]; /* what `db` was opened with: another one means a new connection */
    struct connection *next;
} connection;

static pthread_mutex_t connections_lock = PTHREAD_MUTEX_INITIALIZER;
static connection *connections;

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The slot of one configured check (one thread at a time: the engine runs a configured
 * check once at a time). */
static connection *slot_for(const char *configured_name) {
    connection *entry;
    pthread_mutex_lock(&connections_lock);
    for (entry = connections; entry; entry = entry->next)
        if (strcmp(entry->configured_name, configured_name) == 0) break;
    if (!entry) {
        entry = calloc(1, sizeof *entry);
        if (entry) {
            entry->configured_name = strdup(configured_name);
            entry->next = connections;
            connections = entry;
        }
    }
    pthread_mutex_unlock(&connections_lock);
    return entry;
}

static void disconnect(connection *c) {
    if (c->db) mysql_close(c->db);
    c->db = NULL;
    memset(c->password, 0, sizeof c->password);
}

static int password_of(const char *password, const char *password_file, char *out, size_t capacity, char *error,
                       size_t error_size) {
    FILE *file;
    size_t length;
    if (!password_file[0]) {
        snprintf(out, capacity, "%s", password);
        return 1;
    }
    file = fopen(password_file, "r");
    if (!file) {
        snprintf(error, error_size, "cannot read password_file %s: %s", password_file, strerror(errno));
        return 0;
    }
    if (!fgets(out, (int)capacity, file)) out[0] = 0;
    fclose(file);
    length = strlen(out);
    while (length > 0 && (out[length - 1] == '\n' || out[length - 1] == '\r')) out[--length] = 0;
    return 1;
}

static int check_ping(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *user,
                      const char *password, const char *password_file, const char *database, const char *query) {
    char secret[512], error[512];
    long long budget = call->timeout_ms ? call->timeout_ms : 5000, started = now_ms();
    /* libmariadb's timeouts are whole seconds: the closest below 90 % of the check's. */
    unsigned int seconds = (unsigned int)(budget * 9 / 10 / 1000);
    connection *c = slot_for(call->configured_name);
    MYSQL_RES *result;
    int reused;
    if (!c) {
        hh_result_set_message(out, "out of memory");
        return HH_FAIL;
    }
    if (seconds == 0) seconds = 1;
    if (!password_of(password, password_file, secret, sizeof secret, error, sizeof error)) {
        hh_result_set_message(out, "%s", error);
        return HH_FAIL;
    }
    if (c->db && strcmp(c->password, secret) != 0) disconnect(c); /* rotated */
    reused = c->db != NULL;
    if (!c->db) {
        c->db = mysql_init(NULL);
        if (!c->db) {
            hh_result_set_message(out, "out of memory");
            return HH_FAIL;
        }
        mysql_options(c->db, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
        mysql_options(c->db, MYSQL_OPT_READ_TIMEOUT, &seconds);
        mysql_options(c->db, MYSQL_OPT_WRITE_TIMEOUT, &seconds);
        mysql_options(c->db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        mysql_optionsv(c->db, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "healthhost");
        if (!mysql_real_connect(c->db, host, user, secret[0] ? secret : NULL, database[0] ? database : NULL,
                                (unsigned int)port, NULL, 0)) {
            snprintf(error, sizeof error, "%s", mysql_error(c->db));
            disconnect(c);
            hh_result_set_message(out, "cannot connect to MySQL at %s:%lld: %s", host, (long long)port, error);
            return HH_FAIL;
        }
        snprintf(c->password, sizeof c->password, "%s", secret);
    }
    if (mysql_query(c->db, query) != 0) {
        unsigned int code = mysql_errno(c->db);
        snprintf(error, sizeof error, "%s", mysql_error(c->db));
        disconnect(c);
        /* A kept connection the server dropped (2006, 2013): once more on a new one. */
        if (reused && (code == 2006 || code == 2013) && now_ms() - started < budget / 2)
            return check_ping(call, out, host, port, user, password, password_file, database, query);
        if (code == 2013 && now_ms() - started >= (long long)seconds * 1000 - 50)
            hh_result_set_message(out, "MySQL at %s:%lld: '%s' did not finish within %u s", host, (long long)port, query,
                                  seconds);
        else
            hh_result_set_message(out, "MySQL at %s:%lld answered '%s' with an error: %s", host, (long long)port, query,
                                  error);
        return HH_FAIL;
    }
    result = mysql_store_result(c->db);
    if (result) mysql_free_result(result);
    hh_result_set_observed(out, (double)(now_ms() - started), "ms");
    hh_result_set_message(out, "MySQL %s at %s:%lld answered %s in %lld ms%s", mysql_get_server_info(c->db), host,
                          (long long)port, query, now_ms() - started, reused ? "" : " (new connection)");
    return HH_PASS;
}

static void mysql_plugin_shutdown(const hh_host *host) {
    (void)host;
    pthread_mutex_lock(&connections_lock);
    while (connections) {
        connection *next = connections->next;
        disconnect(connections);
        free(connections->configured_name);
        free(connections);
        connections = next;
    }
    pthread_mutex_unlock(&connections_lock);
}

static const hh_param ping_params[] = {
    {.name = "host", .type = HH_PARAM_STRING, .default_value = "127.0.0.1"},
    {.name = "port", .type = HH_PARAM_INT, .default_value = "3306"},
    {.name = "user", .type = HH_PARAM_STRING, .default_value = "root"},
    {.name = "password", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = ""},
    {.name = "password_file", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "A file whose first line is the password, read on every call."},
    {.name = "database", .type = HH_PARAM_STRING, .default_value = ""},
    {.name = "query", .type = HH_PARAM_STRING, .default_value = "SELECT 1"},
};

static const hh_check mysql_checks[] = {
    {.name = "ping", .summary = "MySQL/MariaDB answers the query over one kept connection.",
     .run = HH_PARAMETERIZED(check_ping), .flags = HH_CHECK_THREAD_SAFE, .params = ping_params, .param_count = 7},
};

static int mysql_plugin_init(const hh_host *host, const char *config_json, char *error, size_t capacity) {
    (void)host; (void)config_json;
    if (mysql_library_init(0, NULL, NULL) != 0) {
        hh_format(error, capacity, "libmariadb could not be initialised");
        return 1;
    }
    return 0;
}

static const hh_plugin mysql_plugin = {
    HH_PLUGIN_HEADER,
    .name = "mysql",
    .version = "1.0.0",
    .summary = "MySQL and MariaDB: ping (libmariadb).",
    HH_PLUGIN_CHECKS(mysql_checks),
    .init = mysql_plugin_init,
    .shutdown = mysql_plugin_shutdown,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &mysql_plugin; }
