// HTTPS POSTs for span exports through libcurl, loaded with dlopen the first time an
// https:// collector is configured: a host exporting over plain HTTP (or not at all)
// never maps libcurl, OpenSSL and their dependencies (several MB of every pod).
#ifndef HEALTHHOST_CURL_EXPORT_H
#define HEALTHHOST_CURL_EXPORT_H

#include <stddef.h>

/// Loads libcurl (libcurl.so.4) and initialises it, once. Returns 0, or -1 with why in
/// `error` (`error_size` bytes at most, NUL-terminated).
int hh_curl_export_load(char *error, size_t error_size);

/// One connection's worth of libcurl state (its easy handle keeps the connection open
/// between POSTs). Not thread-safe: one POST at a time. NULL when libcurl is not loaded
/// or has no memory.
typedef struct hh_curl_export hh_curl_export;
hh_curl_export *hh_curl_export_new(void);
void hh_curl_export_free(hh_curl_export *export_);

/// What a POST is sent with: the URL, headers as "Name: value" lines, the body, a
/// timeout, and the TLS files (NULL for none: the system's CA store, no client
/// certificate).
typedef struct {
    const char *url;
    const char *const *headers;
    size_t header_count;
    const void *body;
    size_t body_size;
    long timeout_ms;
    const char *ca_file;
    const char *client_certificate_file;
    const char *client_key_file;
} hh_curl_export_request;

/// What came back: the status code (0 when nothing did), the Retry-After header's value
/// (empty when none), or why the POST failed and whether that may pass (no connection,
/// a broken one, no answer in time: 1) or will not (a certificate refused, a file
/// libcurl cannot use: 0).
typedef struct {
    long status;
    char retry_after[64];
    char error[512];
    int transient;
} hh_curl_export_response;

/// POSTs `request` and waits for the answer (blocking: call it on a thread made for
/// blocking work). Returns 0 when an answer came (any status), -1 with `response->error`
/// set when none did (no connection, TLS failure, time out).
int hh_curl_export_post(hh_curl_export *export_, const hh_curl_export_request *request, hh_curl_export_response *response);

#endif
