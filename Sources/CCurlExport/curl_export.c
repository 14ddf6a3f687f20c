#define _GNU_SOURCE
#include "curl_export.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// libcurl's entry points, looked up once (setopt and getinfo are variadic: callable
// through a pointer from C, not from Swift).
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result = -1;
static char load_error[256] = "libcurl was not loaded";

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4 (Debian/Ubuntu: libcurl4): %s", why ? why : "unknown error");
        return;
    }
#define FIND(field, symbol)                                                                          \
    *(void **)(&curl.field) = dlsym(library, symbol);                                                \
    if (curl.field == NULL) {                                                                        \
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s: too old a libcurl", symbol); \
        return;                                                                                      \
    }
    FIND(global_init, "curl_global_init")
    FIND(easy_init, "curl_easy_init")
    FIND(easy_cleanup, "curl_easy_cleanup")
    FIND(easy_setopt, "curl_easy_setopt")
    FIND(easy_perform, "curl_easy_perform")
    FIND(easy_getinfo, "curl_easy_getinfo")
    FIND(easy_strerror, "curl_easy_strerror")
    FIND(slist_append, "curl_slist_append")
    FIND(slist_free_all, "curl_slist_free_all")
#undef FIND
    CURLcode code = curl.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed: %s", curl.easy_strerror(code));
        return;
    }
    load_result = 0;
}

int hh_curl_export_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (load_result != 0 && error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return load_result;
}

struct hh_curl_export {
    CURL *handle;
};

hh_curl_export *hh_curl_export_new(void) {
    if (hh_curl_export_load(NULL, 0) != 0) return NULL;
    hh_curl_export *export_ = calloc(1, sizeof *export_);
    if (export_ == NULL) return NULL;
    export_->handle = curl.easy_init();
    if (export_->handle == NULL) {
        free(export_);
        return NULL;
    }
    return export_;
}

void hh_curl_export_free(hh_curl_export *export_) {
    if (export_ == NULL) return;
    curl.easy_cleanup(export_->handle);
    free(export_);
}

// The collector's answer body is not needed (a partial-success message at most).
static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

// Keeps the value of a Retry-After header line.
static size_t header_line(char *line, size_t size, size_t count, void *context) {
    hh_curl_export_response *response = context;
    size_t length = size * count;
    static const char name[] = "retry-after:";
    if (length > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
        const char *value = line + sizeof name - 1;
        size_t value_length = length - (sizeof name - 1);
        while (value_length > 0 && (*value == ' ' || *value == '\t')) value++, value_length--;
        while (value_length > 0 && (value[value_length - 1] == '\r' || value[value_length - 1] == '\n' || value[value_length - 1] == ' '))
            value_length--;
        if (value_length >= sizeof response->retry_after) value_length = sizeof response->retry_after - 1;
        memcpy(response->retry_after, value, value_length);
        response->retry_after[value_length] = '\0';
    }
    return length;
}

int hh_curl_export_post(hh_curl_export *export_, const hh_curl_export_request *request, hh_curl_export_response *response) {
    memset(response, 0, sizeof *response);
    CURL *handle = export_->handle;
    struct curl_slist *headers = NULL;
    for (size_t index = 0; index < request->header_count; index++) {
        struct curl_slist *more = curl.slist_append(headers, request->headers[index]);
        if (more == NULL) {
            curl.slist_free_all(headers);
            snprintf(response->error, sizeof response->error, "out of memory for the request's headers");
            return -1;
        }
        headers = more;
    }
    // No "Expect: 100-continue" round trip before a large body.
    struct curl_slist *more = curl.slist_append(headers, "Expect:");
    if (more != NULL) headers = more;

    curl.easy_setopt(handle, CURLOPT_URL, request->url);
    curl.easy_setopt(handle, CURLOPT_POST, 1L);
    curl.easy_setopt(handle, CURLOPT_POSTFIELDS, request->body);
    curl.easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_size);
    curl.easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    curl.easy_setopt(handle, CURLOPT_TIMEOUT_MS, request->timeout_ms > 0 ? request->timeout_ms : 1L);
    curl.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl.easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
    curl.easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
    curl.easy_setopt(handle, CURLOPT_CAINFO, request->ca_file);  // NULL: libcurl's default store
    curl.easy_setopt(handle, CURLOPT_SSLCERT, request->client_certificate_file);
    curl.easy_setopt(handle, CURLOPT_SSLKEY, request->client_key_file);
    curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, discard);
    curl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, header_line);
    curl.easy_setopt(handle, CURLOPT_HEADERDATA, response);
    char error[CURL_ERROR_SIZE] = "";
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, error);

    CURLcode code = curl.easy_perform(handle);
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, NULL);
    curl.easy_setopt(handle, CURLOPT_HTTPHEADER, NULL);
    curl.easy_setopt(handle, CURLOPT_HEADERDATA, NULL);
    curl.slist_free_all(headers);
    if (code != CURLE_OK) {
        snprintf(response->error, sizeof response->error, "%s%s%s", curl.easy_strerror(code), error[0] ? ": " : "", error);
        switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
            response->transient = 1;
            break;
        default:
            response->transient = 0;
        }
        return -1;
    }
    curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response->status);
    return 0;
}
