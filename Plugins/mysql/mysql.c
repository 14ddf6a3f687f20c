/*
 * mysql — `ping`: runs `query` (SELECT 1) on MySQL or MariaDB over one libmariadb
 * connection per configured check, kept between calls and opened again after a
 * failure or when `password_file` changed.
 */
#define _GNU_SOURCE
#include "healthhost_plugin.h"
#include "plugin_net.h"
#include "plugin_slots.h"

#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kept connection of one configured check. */
typedef struct connection {
    MYSQL *db;
    char password[512]; /* what `db` was opened with: another one means a new connection */
} connection;

static plugin_slots connections = PLUGIN_SLOTS_INITIALIZER(connection);

/* libmariadb's global state is set up by the first ping, not at load (as net does with
 * libcurl): a host that loads the plugin without configuring a check pays less for it.
 * mysql_library_init is not thread-safe; pthread_once makes it run once, first. */
static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_ready = -1;
static void start_library(void) { library_ready = mysql_library_init(0, NULL, NULL); }

static void disconnect(connection *c) {
    if (c->db) mysql_close(c->db);
    c->db = NULL;
    memset(c->password, 0, sizeof c->password);
}

static int check_ping(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *user,
                      const char *password, const char *password_file, const char *database, const char *query) {
    char secret[512], error[512];
    long long budget = call->timeout_ms ? call->timeout_ms : 5000, started = net_now_ms();
    /* libmariadb's timeouts are whole seconds: the closest below 90 % of the check's. */
    unsigned int seconds = (unsigned int)(budget * 9 / 10 / 1000);
    connection *c = plugin_slot_state(&connections, call->configured_name);
    MYSQL_RES *result;
    int reused;
    if (!c) {
        hh_result_set_message(out, "out of memory");
        return HH_FAIL;
    }
    if (seconds == 0) seconds = 1;
    if (!plugin_secret(password, password_file, "password_file", secret, sizeof secret, error, sizeof error)) {
        hh_result_set_message(out, "%s", error);
        return HH_FAIL;
    }
    if (c->db && strcmp(c->password, secret) != 0) disconnect(c); /* rotated */
    reused = c->db != NULL;
    if (!c->db) {
        pthread_once(&library_once, start_library);
        if (library_ready != 0) {
            hh_result_set_message(out, "libmariadb could not be initialised (mysql_library_init failed)");
            return HH_FAIL;
        }
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
        if (reused && (code == 2006 || code == 2013) && net_now_ms() - started < budget / 2)
            return check_ping(call, out, host, port, user, password, password_file, database, query);
        if (code == 2013 && net_now_ms() - started >= (long long)seconds * 1000 - 50)
            hh_result_set_message(out, "MySQL at %s:%lld: '%s' did not finish within %u s", host, (long long)port, query,
                                  seconds);
        else
            hh_result_set_message(out, "MySQL at %s:%lld answered '%s' with an error: %s", host, (long long)port, query,
                                  error);
        return HH_FAIL;
    }
    result = mysql_store_result(c->db);
    if (result) mysql_free_result(result);
    hh_result_set_observed(out, (double)(net_now_ms() - started), "ms");
    hh_result_set_message(out, "MySQL %s at %s:%lld answered %s in %lld ms%s", mysql_get_server_info(c->db), host,
                          (long long)port, query, net_now_ms() - started, reused ? "" : " (new connection)");
    return HH_PASS;
}

static void release(void *state) { disconnect(state); }

static void mysql_plugin_shutdown(const hh_host *host) {
    (void)host;
    plugin_slots_free(&connections, release);
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
    (void)host; (void)config_json; (void)error; (void)capacity;
    return 0; /* libmariadb starts with the first ping (start_library) */
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
