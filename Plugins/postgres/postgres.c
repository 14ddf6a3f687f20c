/*
 * postgres — `ping`: runs `query` (SELECT 1) over one libpq connection per configured
 * check, kept between calls and opened again after a failure. The conninfo is a secret
 * parameter (it may hold a password), or comes from `conninfo_file`, read on every
 * call so that a rotated Kubernetes Secret applies to the next connection.
 */
#define _GNU_SOURCE
#include "healthhost_plugin.h"
#include "plugin_net.h"
#include "plugin_slots.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kept connection of one configured check. */
typedef struct connection {
    PGconn *conn;
    char *conninfo; /* what `conn` was opened with: a changed file means a new connection */
} connection;

static plugin_slots connections = PLUGIN_SLOTS_INITIALIZER(connection);

static void disconnect(connection *c) {
    if (c->conn) PQfinish(c->conn);
    c->conn = NULL;
    free(c->conninfo);
    c->conninfo = NULL;
}

/* The first line of libpq's message, without "FATAL:  " and the trailing newline. */
static void first_line(const char *message, char *out, size_t capacity) {
    const char *start = message ? message : "";
    size_t length;
    if (strncmp(start, "FATAL:  ", 8) == 0) start += 8;
    if (strncmp(start, "ERROR:  ", 8) == 0) start += 8;
    length = strcspn(start, "\n");
    if (length >= capacity) length = capacity - 1;
    memcpy(out, start, length);
    out[length] = 0;
}

/* Opens a connection by the deadline (non-blocking, polling libpq's socket). */
static PGconn *open_connection(const char *conninfo, long long deadline, char *error, size_t error_size) {
    PGconn *conn = PQconnectStart(conninfo);
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    if (!conn) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
        first_line(PQerrorMessage(conn), error, error_size);
        PQfinish(conn);
        return NULL;
    }
    while (state != PGRES_POLLING_OK) {
        struct pollfd ready = {.fd = PQsocket(conn), .events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT};
        long long left = deadline - net_now_ms();
        if (state == PGRES_POLLING_FAILED) {
            first_line(PQerrorMessage(conn), error, error_size);
            PQfinish(conn);
            return NULL;
        }
        if (left <= 0 || poll(&ready, 1, (int)left) <= 0) {
            snprintf(error, error_size, "connecting timed out");
            PQfinish(conn);
            return NULL;
        }
        state = PQconnectPoll(conn);
    }
    return conn;
}

/* Runs `query` by the deadline; NULL (and the reason) when it failed or timed out. */
static PGresult *run_query(PGconn *conn, const char *query, long long deadline, char *error, size_t error_size) {
    PGresult *result = NULL, *next;
    if (!PQsendQuery(conn, query)) {
        first_line(PQerrorMessage(conn), error, error_size);
        return NULL;
    }
    for (;;) {
        while (!PQisBusy(conn)) {
            next = PQgetResult(conn);
            if (!next) return result;
            if (result) PQclear(result);
            result = next;
        }
        {
            struct pollfd ready = {.fd = PQsocket(conn), .events = POLLIN};
            long long left = deadline - net_now_ms();
            if (left <= 0 || poll(&ready, 1, (int)left) <= 0) {
                PGcancel *cancel = PQgetCancel(conn);
                char ignored[64];
                if (cancel) {
                    PQcancel(cancel, ignored, sizeof ignored);
                    PQfreeCancel(cancel);
                }
                if (result) PQclear(result);
                snprintf(error, error_size, "the query did not finish in time (cancelled)");
                return NULL;
            }
        }
        if (!PQconsumeInput(conn)) {
            if (result) PQclear(result);
            first_line(PQerrorMessage(conn), error, error_size);
            return NULL;
        }
    }
}

static int check_ping(const hh_call *call, hh_result *out, const char *conninfo, const char *conninfo_file,
                      const char *query, int64_t connect_timeout) {
    char error[512], from_file[4096], options[4200], version[16];
    const char *info = conninfo;
    long long budget = call->timeout_ms ? call->timeout_ms : 5000, started = net_now_ms(), deadline = started + budget * 9 / 10;
    connection *c = plugin_slot_state(&connections, call->configured_name);
    PGresult *result;
    int reused, server;
    if (!c) {
        hh_result_set_message(out, "out of memory");
        return HH_FAIL;
    }
    if (conninfo_file[0]) {
        if (!plugin_read_first_line(conninfo_file, "conninfo_file", from_file, sizeof from_file, error, sizeof error)) {
            hh_result_set_message(out, "%s", error);
            return HH_FAIL;
        }
        info = from_file;
    }
    if (!info[0]) {
        hh_result_set_message(out, "no conninfo: set conninfo or conninfo_file");
        return HH_FAIL;
    }
    if (c->conn && (!c->conninfo || strcmp(c->conninfo, info) != 0)) disconnect(c); /* rotated */
    if (c->conn && PQstatus(c->conn) != CONNECTION_OK) disconnect(c);
    reused = c->conn != NULL;
    if (!c->conn) {
        snprintf(options, sizeof options, "%s connect_timeout=%lld application_name=healthhost", info,
                 (long long)(connect_timeout > 0 ? connect_timeout : 2));
        c->conn = open_connection(options, deadline, error, sizeof error);
        if (!c->conn) {
            hh_result_set_message(out, "cannot connect to PostgreSQL: %s", error);
            return HH_FAIL;
        }
        c->conninfo = strdup(info);
    }
    result = run_query(c->conn, query, deadline, error, sizeof error);
    if (!result) {
        disconnect(c);
        if (reused && net_now_ms() < deadline) return check_ping(call, out, conninfo, conninfo_file, query, connect_timeout);
        hh_result_set_message(out, "PostgreSQL: %s", error);
        return HH_FAIL;
    }
    if (PQresultStatus(result) != PGRES_TUPLES_OK && PQresultStatus(result) != PGRES_COMMAND_OK) {
        first_line(PQresultErrorMessage(result), error, sizeof error);
        PQclear(result);
        hh_result_set_message(out, "PostgreSQL answered '%s' with an error: %s", query, error);
        return HH_FAIL;
    }
    PQclear(result);
    server = PQserverVersion(c->conn);
    if (server >= 100000) snprintf(version, sizeof version, "%d.%d", server / 10000, server % 10000);
    else snprintf(version, sizeof version, "%d.%d.%d", server / 10000, server / 100 % 100, server % 100);
    hh_result_set_observed(out, (double)(net_now_ms() - started), "ms");
    hh_result_set_message(out, "PostgreSQL %s answered %s in %lld ms%s", version, query, net_now_ms() - started,
                          reused ? "" : " (new connection)");
    return HH_PASS;
}

static void release(void *state) { disconnect(state); }

static void postgres_shutdown(const hh_host *host) {
    (void)host;
    plugin_slots_free(&connections, release);
}

static const hh_param ping_params[] = {
    {.name = "conninfo", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = "",
     .summary = "libpq connection string or URI (secret: it may hold a password)."},
    {.name = "conninfo_file", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "A file holding the conninfo, read on every call."},
    {.name = "query", .type = HH_PARAM_STRING, .default_value = "SELECT 1"},
    {.name = "connect_timeout", .type = HH_PARAM_INT, .default_value = "2", .summary = "Seconds (libpq's, at least 2)."},
};

static const hh_check postgres_checks[] = {
    {.name = "ping", .summary = "PostgreSQL answers the query over one kept connection.",
     .run = HH_PARAMETERIZED(check_ping), .flags = HH_CHECK_THREAD_SAFE, .params = ping_params, .param_count = 4},
};

static const hh_plugin postgres_plugin = {
    HH_PLUGIN_HEADER,
    .name = "postgres",
    .version = "1.0.0",
    .summary = "PostgreSQL: ping (libpq).",
    HH_PLUGIN_CHECKS(postgres_checks),
    .shutdown = postgres_shutdown,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &postgres_plugin; }
