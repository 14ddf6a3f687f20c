/* The net plugin's checks (one file each). */
#ifndef HEALTHHOST_NET_CHECKS_H
#define HEALTHHOST_NET_CHECKS_H

#include "plugin_net.h"

#include <stdbool.h>
#include <stdint.h>

int net_check_tcp(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *send_text,
                  const char *expect, bool tls, int64_t warn_ms);

int net_check_http(const hh_call *call, hh_result *out, const char *url, const char *method, const char *expect_status,
                   const char *body_contains, const char *body_regex, const char *header, const char *header2,
                   const char *header3, bool follow_redirects, bool tls_verify, const char *ca_file, int64_t warn_ms);

int net_check_tls(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *server_name,
                  int64_t warn_days, int64_t fail_days, const char *ca_file);

int net_check_dns(const hh_call *call, hh_result *out, const char *name, const char *type, const char *server,
                  const char *expect, int64_t min_answers);

/* Frees what net.http keeps per configured check (its connections). */
void net_http_shutdown(void);

#endif
