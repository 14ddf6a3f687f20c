/*
 * net — checks over the network: `tcp` (connect, send, expect, optionally TLS),
 * `http` (a request with libcurl: status, body, time), `tls` (a server's
 * certificate chain: verified, and its earliest expiry) and `dns` (res_nquery). Every check answers within
 * 90 % of its timeout and says what it did and saw, or exactly why it could not.
 */
#include "net_checks.h"

#include <curl/curl.h>

static int net_init(const hh_host *host, const char *config_json, char *error, size_t capacity) {
    (void)host; (void)config_json; (void)error; (void)capacity;
    return 0;  /* libcurl starts with the first http call (net_http.c) */
}

static void net_shutdown(const hh_host *host) {
    (void)host;
    net_http_shutdown();
}

static const hh_param tcp_params[] = {
    {.name = "host", .type = HH_PARAM_STRING, .summary = "Host name or address."},
    {.name = "port", .type = HH_PARAM_INT, .summary = "TCP port."},
    {.name = "send", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "Bytes to send once connected (\\r \\n \\t escapes)."},
    {.name = "expect", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "Text the server must say (within its first 4 KiB)."},
    {.name = "tls", .type = HH_PARAM_BOOL, .default_value = "false", .summary = "Speak TLS, verified."},
    {.name = "warn_ms", .type = HH_PARAM_INT, .default_value = "0", .summary = "Warn when slower; 0 never."},
};

static const hh_param http_params[] = {
    {.name = "url", .type = HH_PARAM_STRING, .summary = "http:// or https:// URL."},
    {.name = "method", .type = HH_PARAM_STRING, .default_value = "GET"},
    {.name = "expect_status", .type = HH_PARAM_STRING, .default_value = "200-399",
     .summary = "Codes and ranges, e.g. 200,204,300-399."},
    {.name = "body_contains", .type = HH_PARAM_STRING, .default_value = ""},
    {.name = "body_regex", .type = HH_PARAM_STRING, .default_value = "", .summary = "POSIX extended regex."},
    {.name = "header", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = "",
     .summary = "One request header, 'Name: value' (secret: it may carry credentials)."},
    {.name = "header2", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = ""},
    {.name = "header3", .type = HH_PARAM_STRING, .flags = HH_PARAM_SECRET, .default_value = ""},
    {.name = "follow_redirects", .type = HH_PARAM_BOOL, .default_value = "false"},
    {.name = "tls_verify", .type = HH_PARAM_BOOL, .default_value = "true"},
    {.name = "ca_file", .type = HH_PARAM_STRING, .default_value = "", .summary = "CA bundle instead of the system's."},
    {.name = "warn_ms", .type = HH_PARAM_INT, .default_value = "0", .summary = "Warn when slower; 0 never."},
};

static const hh_param tls_params[] = {
    {.name = "host", .type = HH_PARAM_STRING},
    {.name = "port", .type = HH_PARAM_INT, .default_value = "443"},
    {.name = "server_name", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "SNI and the name checked; empty: the host."},
    {.name = "warn_days", .type = HH_PARAM_INT, .default_value = "14"},
    {.name = "fail_days", .type = HH_PARAM_INT, .default_value = "7"},
    {.name = "ca_file", .type = HH_PARAM_STRING, .default_value = ""},
};

static const hh_param dns_params[] = {
    {.name = "name", .type = HH_PARAM_STRING, .summary = "The name to look up."},
    {.name = "type", .type = HH_PARAM_STRING, .default_value = "A", .summary = "A, AAAA, CNAME, MX, TXT, SRV or NS."},
    {.name = "server", .type = HH_PARAM_STRING, .default_value = "",
     .summary = "IPv4 host[:port] to ask; empty: the system's resolver."},
    {.name = "expect", .type = HH_PARAM_STRING, .default_value = "", .summary = "Comma list of values that must appear."},
    {.name = "min_answers", .type = HH_PARAM_INT, .default_value = "1"},
};

static const hh_check net_checks[] = {
    {.name = "tcp", .summary = "The port accepts connections (and answers as expected).",
     .run = HH_PARAMETERIZED(net_check_tcp), .flags = HH_CHECK_THREAD_SAFE, .params = tcp_params, .param_count = 6},
    {.name = "http", .summary = "The URL answers with an expected status (and body).",
     .run = HH_PARAMETERIZED(net_check_http), .flags = HH_CHECK_THREAD_SAFE, .params = http_params, .param_count = 12},
    {.name = "tls", .summary = "The server's certificate chain verifies and is not about to expire.",
     .run = HH_PARAMETERIZED(net_check_tls), .flags = HH_CHECK_THREAD_SAFE, .params = tls_params, .param_count = 6},
    {.name = "dns", .summary = "The name resolves to the expected records.",
     .run = HH_PARAMETERIZED(net_check_dns), .flags = HH_CHECK_THREAD_SAFE, .params = dns_params, .param_count = 5},
};

static const hh_plugin net_plugin = {
    HH_PLUGIN_HEADER,
    .name = "net",
    .version = "1.0.0",
    .summary = "Network checks: tcp, http, tls, dns.",
    HH_PLUGIN_CHECKS(net_checks),
    .init = net_init,
    .shutdown = net_shutdown,
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &net_plugin; }
