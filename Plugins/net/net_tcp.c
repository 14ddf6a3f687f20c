/* net.tcp: connect (optionally TLS), optionally send, optionally expect. */
#define _GNU_SOURCE
#include "net_checks.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_check_tcp(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *send_text,
                  const char *expect, bool tls, int64_t warn_ms) {
    char error[256], payload[1024], received[4097];
    long long started = net_now_ms(), deadline = net_deadline(call), elapsed;
    size_t used = 0;
    SSL *ssl = NULL;
    int fd;
    if (port < 1 || port > 65535) {
        hh_result_set_message(out, "port %lld is not from 1 to 65535", (long long)port);
        return HH_FAIL;
    }
    fd = net_connect(host, (int)port, deadline, error, sizeof error);
    if (fd < 0) {
        hh_result_set_message(out, "%s", error);
        return HH_FAIL;
    }
    if (tls) {
        ssl = net_tls_connect(fd, host, "", 1, deadline, error, sizeof error);
        if (!ssl) {
            close(fd);
            hh_result_set_message(out, "%s", error);
            return HH_FAIL;
        }
    }
    if (send_text[0]) {
        size_t length = net_unescape(send_text, payload, sizeof payload);
        ssize_t sent = ssl ? SSL_write(ssl, payload, (int)length) : send(fd, payload, length, MSG_NOSIGNAL);
        if (sent != (ssize_t)length) {
            net_tls_close(ssl);
            close(fd);
            hh_result_set_message(out, "%s:%lld: sending failed: %s", host, (long long)port, strerror(errno));
            return HH_FAIL;
        }
    }
    received[0] = 0;
    if (expect[0]) {
        while (!strstr(received, expect) && used < sizeof received - 1) {
            struct pollfd ready = {.fd = fd, .events = POLLIN};
            long long left = deadline - net_now_ms();
            ssize_t count;
            if (!(ssl && SSL_pending(ssl) > 0)) {
                if (left <= 0 || poll(&ready, 1, (int)left) <= 0) break;
            }
            count = ssl ? SSL_read(ssl, received + used, (int)(sizeof received - 1 - used))
                        : recv(fd, received + used, sizeof received - 1 - used, 0);
            if (count <= 0) break;
            used += (size_t)count;
            received[used] = 0;
        }
    }
    net_tls_close(ssl);
    close(fd);
    elapsed = net_now_ms() - started;
    if (expect[0] && !strstr(received, expect)) {
        size_t i;
        for (i = 0; i < used && i < 80; i++) if (received[i] == '\r' || received[i] == '\n') received[i] = ' ';
        if (used > 80) received[80] = 0;
        hh_result_set_message(out, "%s:%lld answered without '%s' within %lld ms%s%s%s", host, (long long)port,
                              expect, elapsed, used ? " (it said '" : " (it said nothing)", used ? received : "",
                              used ? "')" : "");
        return HH_FAIL;
    }
    hh_result_set_observed(out, (double)elapsed, "ms");
    if (warn_ms > 0 && elapsed > warn_ms) {
        hh_result_set_message(out, "connected to %s:%lld%s in %lld ms, slower than warn_ms %lld", host, (long long)port,
                              tls ? " (TLS)" : "", elapsed, (long long)warn_ms);
        return HH_WARN;
    }
    hh_result_set_message(out, "connected to %s:%lld%s in %lld ms%s%s%s", host, (long long)port, tls ? " (TLS)" : "",
                          elapsed, expect[0] ? ", it said '" : "", expect[0] ? expect : "", expect[0] ? "'" : "");
    return HH_PASS;
}
