/* What the bundled network plugins share (net, redis): deadlines, connecting by one, TLS over it. */
#ifndef HEALTHHOST_PLUGIN_NET_H
#define HEALTHHOST_PLUGIN_NET_H

#include "healthhost_plugin.h"

#include <openssl/ssl.h>
#include <stddef.h>

/* Milliseconds on the monotonic clock. */
long long net_now_ms(void);

/* When a check must have its answer: 90 % of its timeout, so that the result (and
 * why) reaches the host before the host gives up. */
long long net_deadline(const hh_call *call);

/* Connects to host:port by the deadline (non-blocking connect, every address tried).
 * Returns the socket, or -1 with the reason in `error` ("connection refused",
 * "name not found (DNS)", "timed out after 900 ms"). */
int net_connect(const char *host, int port, long long deadline, char *error, size_t error_size);

/* A TLS session over `fd`, verified against the system's CAs or `ca_file` (when not
 * empty), for `server_name` (SNI and host name check), by the deadline. Returns the
 * session, or NULL with the reason ("certificate has expired", "hostname mismatch").
 * With `verify` 0 the chain is not checked (the handshake still must succeed). */
SSL *net_tls_connect(int fd, const char *server_name, const char *ca_file, int verify, long long deadline,
                     char *error, size_t error_size);

/* Frees the session and its context. */
void net_tls_close(SSL *ssl);

/* Writes `text` with \r \n \t \\ escapes turned into bytes into `out` (at most
 * `capacity` - 1 bytes); returns the length. */
size_t net_unescape(const char *text, char *out, size_t capacity);

/* Copies `url` into `out` with any password (scheme://user:PASSWORD@host) replaced. */
void net_redact_url(const char *url, char *out, size_t capacity);

#endif
