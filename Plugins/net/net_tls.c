/* net.tls: the certificate chain a server presents: verified, and how long until the
 * first certificate of the verified chain expires (an intermediate can expire before
 * the leaf). */
#define _GNU_SOURCE
#include "net_checks.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

int net_check_tls(const hh_call *call, hh_result *out, const char *host, int64_t port, const char *server_name,
                  int64_t warn_days, int64_t fail_days, const char *ca_file) {
    char error[256], expiry[32] = "";
    const char *name = server_name[0] ? server_name : host;
    long long deadline = net_deadline(call);
    STACK_OF(X509) *chain;
    int fd, index, least_days = 0, least_seconds = 0, found = 0;
    X509 *earliest = NULL;
    SSL *ssl;
    if (fail_days > warn_days) {
        hh_result_set_message(out, "fail_days %lld is above warn_days %lld", (long long)fail_days, (long long)warn_days);
        return HH_FAIL;
    }
    fd = net_connect(host, (int)port, deadline, error, sizeof error);
    if (fd < 0) {
        hh_result_set_message(out, "%s", error);
        return HH_FAIL;
    }
    ssl = net_tls_connect(fd, name, ca_file, 1, deadline, error, sizeof error);
    if (!ssl) {
        close(fd);
        hh_result_set_message(out, "%s", error);
        return HH_FAIL;
    }
    chain = SSL_get0_verified_chain(ssl);
    for (index = 0; chain && index < sk_X509_num(chain); index++) {
        X509 *certificate = sk_X509_value(chain, index);
        int days = 0, seconds = 0;
        if (!ASN1_TIME_diff(&days, &seconds, NULL, X509_get0_notAfter(certificate))) continue;
        if (!found || days < least_days || (days == least_days && seconds < least_seconds)) {
            least_days = days;
            least_seconds = seconds;
            earliest = certificate;
            found = 1;
        }
    }
    if (earliest) {
        struct tm when;
        if (ASN1_TIME_to_tm(X509_get0_notAfter(earliest), &when)) strftime(expiry, sizeof expiry, "%Y-%m-%d", &when);
    }
    net_tls_close(ssl);
    close(fd);
    if (!found) {
        hh_result_set_message(out, "%s presented no verified chain", name);
        return HH_FAIL;
    }
    hh_result_set_observed(out, (double)least_days, "days");
    if (least_days < fail_days) {
        hh_result_set_message(out, "certificate of %s expires in %d days (%s), below fail_days %lld", name, least_days,
                              expiry, (long long)fail_days);
        return HH_FAIL;
    }
    if (least_days < warn_days) {
        hh_result_set_message(out, "certificate of %s expires in %d days (%s), below warn_days %lld", name, least_days,
                              expiry, (long long)warn_days);
        return HH_WARN;
    }
    hh_result_set_message(out, "certificate of %s is valid for %d more days (until %s)", name, least_days, expiry);
    return HH_PASS;
}
