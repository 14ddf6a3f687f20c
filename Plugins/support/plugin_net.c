#define _GNU_SOURCE
#include "plugin_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

long long net_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

long long net_deadline(const hh_call *call) {
    long long budget = call->timeout_ms ? call->timeout_ms : 5000;
    return net_now_ms() + budget * 9 / 10;
}

static int wait_for(int fd, short events, long long deadline) {
    for (;;) {
        struct pollfd ready = {.fd = fd, .events = events};
        long long left = deadline - net_now_ms();
        int result;
        if (left <= 0) return 0;
        result = poll(&ready, 1, (int)left);
        if (result < 0 && errno == EINTR) continue;
        return result > 0;
    }
}

int net_connect(const char *host, int port, long long deadline, char *error, size_t error_size) {
    struct addrinfo hints, *found = NULL, *address;
    char service[16];
    int status, last_error = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof service, "%d", port);
    status = getaddrinfo(host, service, &hints, &found);
    if (status != 0) {
        snprintf(error, error_size, "cannot resolve '%s' (DNS): %s", host, gai_strerror(status));
        return -1;
    }
    for (address = found; address; address = address->ai_next) {
        int fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, address->ai_protocol);
        if (fd < 0) { last_error = errno; continue; }
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0 || errno == EINPROGRESS) {
            if (wait_for(fd, POLLOUT, deadline)) {
                int so_error = 0;
                socklen_t length = sizeof so_error;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
                if (so_error == 0) { freeaddrinfo(found); return fd; }
                last_error = so_error;
            } else if (net_now_ms() >= deadline) {
                close(fd);
                freeaddrinfo(found);
                snprintf(error, error_size, "connecting to %s:%d timed out", host, port);
                return -1;
            }
        } else {
            last_error = errno;
        }
        close(fd);
    }
    freeaddrinfo(found);
    if (last_error == ECONNREFUSED)
        snprintf(error, error_size, "%s:%d refused the connection", host, port);
    else
        snprintf(error, error_size, "cannot connect to %s:%d: %s", host, port, strerror(last_error));
    return -1;
}

SSL *net_tls_connect(int fd, const char *server_name, const char *ca_file, int verify, long long deadline,
                     char *error, size_t error_size) {
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    SSL *ssl;
    if (!context) { snprintf(error, error_size, "cannot create a TLS context"); return NULL; }
    if (ca_file && ca_file[0]) {
        if (SSL_CTX_load_verify_locations(context, ca_file, NULL) != 1) {
            snprintf(error, error_size, "cannot read ca_file '%s'", ca_file);
            SSL_CTX_free(context);
            return NULL;
        }
    } else {
        SSL_CTX_set_default_verify_paths(context);
    }
    SSL_CTX_set_verify(context, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    ssl = SSL_new(context);
    SSL_CTX_free(context); /* the session holds its own reference */
    if (!ssl) { snprintf(error, error_size, "cannot create a TLS session"); return NULL; }
    SSL_set_tlsext_host_name(ssl, server_name);
    if (verify) SSL_set1_host(ssl, server_name);
    SSL_set_fd(ssl, fd);
    for (;;) {
        int result = SSL_connect(ssl), reason;
        if (result == 1) return ssl;
        reason = SSL_get_error(ssl, result);
        if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
            if (wait_for(fd, reason == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) continue;
            snprintf(error, error_size, "the TLS handshake with %s timed out", server_name);
        } else {
            long verified = SSL_get_verify_result(ssl);
            if (verify && verified != X509_V_OK)
                snprintf(error, error_size, "TLS verification of %s failed: %s", server_name,
                         X509_verify_cert_error_string(verified));
            else {
                unsigned long code = ERR_get_error();
                char text[160] = "the connection closed";
                if (code) ERR_error_string_n(code, text, sizeof text);
                snprintf(error, error_size, "the TLS handshake with %s failed: %s", server_name, text);
            }
        }
        SSL_free(ssl);
        return NULL;
    }
}

void net_tls_close(SSL *ssl) {
    if (ssl) SSL_free(ssl);
}

size_t net_unescape(const char *text, char *out, size_t capacity) {
    size_t length = 0;
    for (; *text && length + 1 < capacity; text++) {
        if (*text == '\\' && text[1]) {
            text++;
            switch (*text) {
            case 'r': out[length++] = '\r'; break;
            case 'n': out[length++] = '\n'; break;
            case 't': out[length++] = '\t'; break;
            default: out[length++] = *text; break;
            }
        } else {
            out[length++] = *text;
        }
    }
    out[length] = 0;
    return length;
}

void net_redact_url(const char *url, char *out, size_t capacity) {
    const char *scheme = strstr(url, "://");
    const char *authority = scheme ? scheme + 3 : url;
    const char *slash = strchr(authority, '/');
    const char *at = strchr(authority, '@');
    const char *colon;
    if (!at || (slash && at > slash)) { snprintf(out, capacity, "%s", url); return; }
    colon = memchr(authority, ':', (size_t)(at - authority));
    if (!colon) { snprintf(out, capacity, "%s", url); return; }
    snprintf(out, capacity, "%.*s:********%s", (int)(colon - url), url, at);
}
