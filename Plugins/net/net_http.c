/* net.http: one request with libcurl, its status, body and time checked. Each
 * configured check keeps its curl handle, so a probe every second reuses one
 * connection (keep-alive) instead of opening a new one each time. */
#define _GNU_SOURCE
#include "net_checks.h"
#include "plugin_slots.h"

#include <curl/curl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_CAP (1024 * 1024)

/* The curl handle of one configured check. */
typedef struct {
    CURL *curl;
} handle;

static plugin_slots handles = PLUGIN_SLOTS_INITIALIZER(handle);

/* libcurl's global state (and with it OpenSSL's: config, providers, error strings) is
 * set up by the first http call, not at load: a host that loads the plugin for its tcp
 * or dns checks, or not at all, keeps the ~4 MB that costs out of its resident memory. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_ready = CURLE_FAILED_INIT;
static void start_curl(void) { curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT); }

static CURL *handle_for(const char *configured_name) {
    pthread_once(&curl_once, start_curl);
    if (curl_ready != CURLE_OK) return NULL;
    handle *entry = plugin_slot_state(&handles, configured_name);
    if (!entry) return NULL;
    if (!entry->curl) entry->curl = curl_easy_init();
    return entry->curl;
}

static void release(void *state) {
    handle *entry = state;
    if (entry->curl) curl_easy_cleanup(entry->curl);
}

void net_http_shutdown(void) {
    plugin_slots_free(&handles, release);
    if (curl_ready == CURLE_OK) curl_global_cleanup();
}

typedef struct {
    char *data;
    size_t length;
} body;

static size_t collect(char *bytes, size_t size, size_t count, void *context) {
    body *into = context;
    size_t total = size * count, take = total;
    if (into->length + take > BODY_CAP) take = BODY_CAP - into->length;
    if (take > 0) {
        char *grown = realloc(into->data, into->length + take + 1);
        if (!grown) return 0;
        into->data = grown;
        memcpy(into->data + into->length, bytes, take);
        into->length += take;
        into->data[into->length] = 0;
    }
    return total; /* past the cap: read and dropped */
}

/* Whether `status` is in `ranges` ("200-399", "200,204,300-399"); -1 when malformed. */
static int status_allowed(long status, const char *ranges) {
    const char *p = ranges;
    while (*p) {
        char *end;
        long low = strtol(p, &end, 10), high;
        if (end == p) return -1;
        high = low;
        p = end;
        if (*p == '-') {
            p++;
            high = strtol(p, &end, 10);
            if (end == p) return -1;
            p = end;
        }
        if (status >= low && status <= high) return 1;
        while (*p == ' ') p++;
        if (*p == ',') p++;
        while (*p == ' ') p++;
    }
    return 0;
}

int net_check_http(const hh_call *call, hh_result *out, const char *url, const char *method, const char *expect_status,
                   const char *body_contains, const char *body_regex, const char *header, const char *header2,
                   const char *header3, bool follow_redirects, bool tls_verify, const char *ca_file, int64_t warn_ms) {
    char shown[512], errors[CURL_ERROR_SIZE] = "";
    long long started = net_now_ms(), budget = net_deadline(call) - started;
    struct curl_slist *headers = NULL;
    body received = {NULL, 0};
    CURL *curl = handle_for(call->configured_name);
    CURLcode code;
    long status = 0;
    double seconds = 0;
    long long elapsed;
    int allowed, result = HH_PASS;
    net_redact_url(url, shown, sizeof shown);
    if (!curl) {
        hh_result_set_message(out, curl_ready == CURLE_OK ? "cannot create a curl handle"
                                                          : "libcurl could not be initialised (curl_global_init failed)");
        return HH_FAIL;
    }
    if (status_allowed(200, expect_status) < 0) {
        hh_result_set_message(out, "expect_status '%s' is not a list of codes and ranges like 200,204,300-399",
                              expect_status);
        return HH_FAIL;
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, budget > 1 ? (long)budget : 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, follow_redirects ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls_verify ? 2L : 0L);
    if (ca_file[0]) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "healthhost-net/1.0");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errors);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    if (header[0]) headers = curl_slist_append(headers, header);
    if (header2[0]) headers = curl_slist_append(headers, header2);
    if (header3[0]) headers = curl_slist_append(headers, header3);
    if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    elapsed = net_now_ms() - started;
    if (code != CURLE_OK) {
        const char *what = errors[0] ? errors : curl_easy_strerror(code);
        switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
            hh_result_set_message(out, "%s %s: cannot resolve the host (DNS): %s", method, shown, what);
            break;
        case CURLE_COULDNT_CONNECT:
            hh_result_set_message(out, "%s %s: connection refused or unreachable: %s", method, shown, what);
            break;
        case CURLE_OPERATION_TIMEDOUT:
            hh_result_set_message(out, "%s %s: timed out after %lld ms", method, shown, elapsed);
            break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            hh_result_set_message(out, "%s %s: TLS verification failed: %s", method, shown, what);
            break;
        default:
            hh_result_set_message(out, "%s %s: %s", method, shown, what);
        }
        free(received.data);
        return HH_FAIL;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
    elapsed = (long long)(seconds * 1000 + 0.5);
    hh_result_set_observed(out, (double)elapsed, "ms");
    allowed = status_allowed(status, expect_status);
    if (allowed != 1) {
        hh_result_set_message(out, "%s %s → %ld in %lld ms, expected %s", method, shown, status, elapsed, expect_status);
        result = HH_FAIL;
    } else if (body_contains[0] && !(received.data && strstr(received.data, body_contains))) {
        hh_result_set_message(out, "%s %s → %ld, but the body does not contain '%s'", method, shown, status, body_contains);
        result = HH_FAIL;
    } else if (body_regex[0]) {
        regex_t pattern;
        int compiled = regcomp(&pattern, body_regex, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
        if (compiled != 0) {
            char reason[128];
            regerror(compiled, &pattern, reason, sizeof reason);
            hh_result_set_message(out, "body_regex '%s' is not a POSIX extended regex: %s", body_regex, reason);
            result = HH_FAIL;
        } else {
            if (regexec(&pattern, received.data ? received.data : "", 0, NULL, 0) != 0) {
                hh_result_set_message(out, "%s %s → %ld, but the body does not match /%s/", method, shown, status, body_regex);
                result = HH_FAIL;
            }
            regfree(&pattern);
        }
    }
    if (result == HH_PASS) {
        if (warn_ms > 0 && elapsed > warn_ms) {
            hh_result_set_message(out, "%s %s → %ld in %lld ms, slower than warn_ms %lld", method, shown, status, elapsed,
                                  (long long)warn_ms);
            result = HH_WARN;
        } else {
            hh_result_set_message(out, "%s %s → %ld in %lld ms", method, shown, status, elapsed);
        }
    }
    free(received.data);
    return result;
}
