/*
 * redis — `ping`: AUTH (when a password is given), SELECT, then PING over one connection
 * per configured check, kept between calls and opened again after a failure.
 *
 * RESP over a socket rather than hiredis: Debian's hiredis (0.14) has no TLS, and the
 * three commands this check sends need no more than a line reader; TLS comes from the
 * same OpenSSL session code as net.tcp.
 */
#define _GNU_SOURCE
#include "healthhost_plugin.h"
#include "plugin_net.h"
#include "plugin_slots.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kept connection of one configured check. */
typedef struct connection {
    int connected;
    int fd;
    SSL *ssl;
    char version[32];
    char buffer[8192];
    size_t buffered;
} connection;

static plugin_slots connections = PLUGIN_SLOTS_INITIALIZER(connection);

static void disconnect(connection *c) {
    net_tls_close(c->ssl);
    c->ssl = NULL;
    if (c->connected) close(c->fd);
    c->connected = 0;
    c->fd = -1;
    c->buffered = 0;
    c->version[0] = 0;
}

static int send_all(connection *c, const char *bytes, size_t length) {
    ssize_t sent = c->ssl ? SSL_write(c->ssl, bytes, (int)length) : send(c->fd, bytes, length, MSG_NOSIGNAL);
    return sent == (ssize_t)length;
}

/* Sends one command as a RESP array of bulk strings. */
static int command(connection *c, int count, const char **words) {
    char frame[2048];
    size_t used = (size_t)snprintf(frame, sizeof frame, "*%d\r\n", count);
    int i;
    for (i = 0; i < count; i++) {
        size_t length = strlen(words[i]);
        int wrote = snprintf(frame + used, sizeof frame - used, "$%zu\r\n%s\r\n", length, words[i]);
        if (wrote < 0 || (size_t)wrote >= sizeof frame - used) return 0;
        used += (size_t)wrote;
    }
    return send_all(c, frame, used);
}

/* Reads until `needed` bytes are buffered, by the deadline. */
static int fill(connection *c, size_t needed, long long deadline) {
    while (c->buffered < needed) {
        struct pollfd ready = {.fd = c->fd, .events = POLLIN};
        long long left = deadline - net_now_ms();
        ssize_t count;
        if (needed > sizeof c->buffer) return 0;
        if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
            if (left <= 0 || poll(&ready, 1, (int)left) <= 0) return 0;
        }
        count = c->ssl ? SSL_read(c->ssl, c->buffer + c->buffered, (int)(sizeof c->buffer - c->buffered))
                       : recv(c->fd, c->buffer + c->buffered, sizeof c->buffer - c->buffered, 0);
        if (count <= 0) return 0;
        c->buffered += (size_t)count;
    }
    return 1;
}

static void consume(connection *c, size_t length) {
    memmove(c->buffer, c->buffer + length, c->buffered - length);
    c->buffered -= length;
}

/* Reads one reply line ("+OK", "-ERR ...", "$123") into `line`; 0 on timeout or EOF. */
static int read_line(connection *c, char *line, size_t capacity, long long deadline) {
    for (;;) {
        char *end = memchr(c->buffer, '\n', c->buffered);
        if (end) {
            size_t length = (size_t)(end - c->buffer) + 1, text = length >= 2 ? length - 2 : 0;
            if (text >= capacity) text = capacity - 1;
            memcpy(line, c->buffer, text);
            line[text] = 0;
            consume(c, length);
            return 1;
        }
        if (!fill(c, c->buffered + 1, deadline)) return 0;
    }
}

/* `redis_version:7.0.15` from INFO server, kept for the connection's messages. */
static void read_version(connection *c, long long deadline) {
    const char *words[] = {"INFO", "server"};
    char line[64];
    long length;
    char *found;
    if (!command(c, 2, words) || !read_line(c, line, sizeof line, deadline) || line[0] != '$') return;
    length = strtol(line + 1, NULL, 10);
    if (length <= 0 || (size_t)length + 2 > sizeof c->buffer || !fill(c, (size_t)length + 2, deadline)) return;
    c->buffer[length] = 0;
    found = strstr(c->buffer, "redis_version:");
    if (found) sscanf(found + 14, "%31[^\r\n]", c->version);
    consume(c, (size_t)length + 2);
}

static int check_ping(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *password,
                      const char *password_file, int64_t db, bool tls) {
    char error[256], line[512], secret[512];
    long long started = net_now_ms(), deadline = net_deadline(call), elapsed;
    connection *c = plugin_slot_state(&connections, call->configured_name);
    bool reused;
    const char *ping[] = {"PING"};
    if (!c) {
        hh_result_set_message(out, "out of memory");
        return HH_FAIL;
    }
    if (!plugin_secret(password, password_file, "password_file", secret, sizeof secret, error, sizeof error)) {
        hh_result_set_message(out, "%s", error);
        return HH_FAIL;
    }
    reused = c->connected;
    if (!reused) {
        c->fd = net_connect(host, (int)port, deadline, error, sizeof error);
        if (c->fd < 0) {
            hh_result_set_message(out, "%s", error);
            return HH_FAIL;
        }
        c->connected = 1;
        if (tls) {
            c->ssl = net_tls_connect(c->fd, host, "", 1, deadline, error, sizeof error);
            if (!c->ssl) {
                disconnect(c);
                hh_result_set_message(out, "%s", error);
                return HH_FAIL;
            }
        }
        if (secret[0]) {
            const char *auth[] = {"AUTH", secret};
            if (!command(c, 2, auth) || !read_line(c, line, sizeof line, deadline)) {
                disconnect(c);
                hh_result_set_message(out, "%s:%lld: no answer to AUTH within the timeout", host, (long long)port);
                return HH_FAIL;
            }
            if (line[0] != '+') {
                disconnect(c);
                hh_result_set_message(out, "%s:%lld: authentication failed: %s", host, (long long)port, line + 1);
                return HH_FAIL;
            }
        }
        if (db != 0) {
            char number[24];
            const char *select[] = {"SELECT", number};
            snprintf(number, sizeof number, "%lld", (long long)db);
            if (!command(c, 2, select) || !read_line(c, line, sizeof line, deadline) || line[0] != '+') {
                disconnect(c);
                hh_result_set_message(out, "%s:%lld: SELECT %lld failed: %s", host, (long long)port, (long long)db,
                                      line[0] ? line + 1 : "no answer");
                return HH_FAIL;
            }
        }
        read_version(c, deadline);
    }
    line[0] = 0;
    if (!command(c, 1, ping) || !read_line(c, line, sizeof line, deadline)) {
        bool was_reused = reused;
        disconnect(c);
        if (was_reused && net_now_ms() < deadline) return check_ping(call, out, host, port, password, password_file, db, tls);
        hh_result_set_message(out, "%s:%lld: no answer to PING within %lld ms", host, (long long)port,
                              net_now_ms() - started);
        return HH_FAIL;
    }
    elapsed = net_now_ms() - started;
    if (strcmp(line, "+PONG") != 0) {
        disconnect(c);
        if (strncmp(line, "-NOAUTH", 7) == 0)
            hh_result_set_message(out, "%s:%lld: authentication required: set password or password_file (%s)", host,
                                  (long long)port, line + 1);
        else
            hh_result_set_message(out, "%s:%lld: PING answered '%s'", host, (long long)port, line);
        return HH_FAIL;
    }
    hh_result_set_observed(out, (double)elapsed, "ms");
    hh_result_set_message(out, "Redis %s at %s:%lld answered PING in %lld ms%s", c->version[0] ? c->version : "?", host,
                          (long long)port, elapsed, reused ? "" : " (new connection)");
    return HH_PASS;
}

static void release(void *state) { disconnect(state); }

static void redis_shutdown(const hh_host *host) {
    (void)host;
    plugin_slots_free(&connections, release);
}

static const hh_param ping_params[] = {
    {.name = "host", .type = HH_PARAM_STRING, .default_value = "127.0.0.1"},
    {.name = "port", .type = HH_PARAM_INT, .default_value = "6379"},
    {.name = "password", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = ""},
    {.name = "password_file", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "A file whose first line is the password, read on every call."},
    {.name = "db", .type = HH_PARAM_INT, .default_value = "0"},
    {.name = "tls", .type = HH_PARAM_BOOL, .default_value = "false"},
};

static const hh_check redis_checks[] = {
    {.name = "ping", .summary = "Redis answers PING (after AUTH and SELECT), over one kept connection.",
     .run = HH_PARAMETERIZED(check_ping), .flags = HH_CHECK_THREAD_SAFE, .params = ping_params, .param_count = 6},
};

static const hh_plugin redis_plugin = {
    HH_PLUGIN_HEADER,
    .name = "redis",
    .version = "1.0.0",
    .summary = "Redis: ping.",
    HH_PLUGIN_CHECKS(redis_checks),
    .shutdown = redis_shutdown,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &redis_plugin; }
