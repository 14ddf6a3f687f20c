/* net.dns: one query (res_nquery) to the system's resolver or a given server; the
 * answers of the asked type, which must include every `expect` value. */
#define _GNU_SOURCE
#include "net_checks.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ANSWERS 32

static int type_code(const char *type) {
    if (strcasecmp(type, "A") == 0) return ns_t_a;
    if (strcasecmp(type, "AAAA") == 0) return ns_t_aaaa;
    if (strcasecmp(type, "CNAME") == 0) return ns_t_cname;
    if (strcasecmp(type, "MX") == 0) return ns_t_mx;
    if (strcasecmp(type, "TXT") == 0) return ns_t_txt;
    if (strcasecmp(type, "SRV") == 0) return ns_t_srv;
    if (strcasecmp(type, "NS") == 0) return ns_t_ns;
    return -1;
}

/* One answer's value as text: an address, a name, "10 mail.example", TXT strings. */
static void format_answer(ns_msg *message, ns_rr *record, int type, char *out, size_t capacity) {
    const unsigned char *data = ns_rr_rdata(*record);
    size_t length = ns_rr_rdlen(*record);
    char name[NS_MAXDNAME];
    out[0] = 0;
    switch (type) {
    case ns_t_a:
        if (length == 4) inet_ntop(AF_INET, data, out, (socklen_t)capacity);
        break;
    case ns_t_aaaa:
        if (length == 16) inet_ntop(AF_INET6, data, out, (socklen_t)capacity);
        break;
    case ns_t_cname:
    case ns_t_ns:
        if (dn_expand(ns_msg_base(*message), ns_msg_end(*message), data, name, sizeof name) >= 0) snprintf(out, capacity, "%s", name);
        break;
    case ns_t_mx:
        if (length > 2 && dn_expand(ns_msg_base(*message), ns_msg_end(*message), data + 2, name, sizeof name) >= 0)
            snprintf(out, capacity, "%u %s", ns_get16(data), name);
        break;
    case ns_t_srv:
        if (length > 6 && dn_expand(ns_msg_base(*message), ns_msg_end(*message), data + 6, name, sizeof name) >= 0)
            snprintf(out, capacity, "%u %u %u %s", ns_get16(data), ns_get16(data + 2), ns_get16(data + 4), name);
        break;
    case ns_t_txt: {
        size_t at = 0, used = 0;
        while (at < length && used + 1 < capacity) {
            size_t piece = data[at++];
            if (at + piece > length) break;
            if (used + piece >= capacity) piece = capacity - used - 1;
            memcpy(out + used, data + at, piece);
            used += piece;
            at += piece;
        }
        out[used] = 0;
        break;
    }
    }
}

/* Whether `expected` is among the answers (names compared without case or final dot). */
static int contains_answer(char answers[][256], int count, const char *expected, size_t expected_length) {
    int i;
    while (expected_length > 0 && expected[expected_length - 1] == '.') expected_length--;
    for (i = 0; i < count; i++) {
        size_t length = strlen(answers[i]);
        while (length > 0 && answers[i][length - 1] == '.') length--;
        if (length == expected_length && strncasecmp(answers[i], expected, length) == 0) return 1;
    }
    return 0;
}

int net_check_dns(const hh_call *call, hh_result *out, const char *name, const char *type, const char *server,
                  const char *expect, int64_t min_answers) {
    unsigned char answer[NS_PACKETSZ * 4];
    char answers[MAX_ANSWERS][256], list[1024] = "", where[300] = "the system's resolver";
    struct __res_state state;
    long long started = net_now_ms(), budget = call->timeout_ms ? call->timeout_ms : 5000;
    int code = type_code(type), length, count = 0, i, total;
    ns_msg message;
    if (code < 0) {
        hh_result_set_message(out, "type '%s' is not one of A, AAAA, CNAME, MX, TXT, SRV, NS", type);
        return HH_FAIL;
    }
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) {
        hh_result_set_message(out, "cannot initialise the resolver");
        return HH_FAIL;
    }
    /* One try, as long as 90 % of the timeout allows (the resolver counts in seconds). */
    state.retrans = (int)(budget * 9 / 10 / 1000) > 0 ? (int)(budget * 9 / 10 / 1000) : 1;
    state.retry = 1;
    if (server[0]) {
        char host[256];
        const char *colon = strrchr(server, ':');
        int port = 53;
        struct in_addr address;
        snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - server) : (int)strlen(server), server);
        if (colon) port = atoi(colon + 1);
        if (inet_pton(AF_INET, host, &address) != 1 || port < 1 || port > 65535) {
            res_nclose(&state);
            hh_result_set_message(out, "server '%s' is not an IPv4 address with an optional :port", server);
            return HH_FAIL;
        }
        state.nsaddr_list[0].sin_family = AF_INET;
        state.nsaddr_list[0].sin_addr = address;
        state.nsaddr_list[0].sin_port = htons((uint16_t)port);
        state.nscount = 1;
        snprintf(where, sizeof where, "%s:%d", host, port);
    }
    length = res_nquery(&state, name, ns_c_in, code, answer, sizeof answer);
    if (length < 0) {
        int reason = state.res_h_errno;
        res_nclose(&state);
        switch (reason) {
        case HOST_NOT_FOUND:
            hh_result_set_message(out, "%s %s: no such name (NXDOMAIN) at %s", name, type, where);
            break;
        case NO_DATA:
            hh_result_set_message(out, "%s %s: the name has no %s records (NODATA) at %s", name, type, type, where);
            break;
        case TRY_AGAIN:
            hh_result_set_message(out, "%s %s: no answer from %s within %lld ms (timeout or SERVFAIL)", name, type, where,
                                  net_now_ms() - started);
            break;
        default:
            hh_result_set_message(out, "%s %s: the query failed at %s (%s)", name, type, where, hstrerror(reason));
        }
        return HH_FAIL;
    }
    res_nclose(&state);
    if (ns_initparse(answer, length, &message) < 0) {
        hh_result_set_message(out, "%s %s: %s sent a malformed answer", name, type, where);
        return HH_FAIL;
    }
    total = ns_msg_count(message, ns_s_an);
    for (i = 0; i < total && count < MAX_ANSWERS; i++) {
        ns_rr record;
        if (ns_parserr(&message, ns_s_an, i, &record) < 0 || ns_rr_type(record) != code) continue;
        format_answer(&message, &record, code, answers[count], sizeof answers[count]);
        if (answers[count][0]) count++;
    }
    for (i = 0; i < count; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", answers[i]);
    }
    hh_result_set_observed(out, (double)count, "answers");
    if (count < min_answers) {
        hh_result_set_message(out, "%s %s → %d answer(s) from %s, fewer than min_answers %lld%s%s", name, type, count,
                              where, (long long)min_answers, count ? ": " : "", list);
        return HH_FAIL;
    }
    if (expect[0]) {
        const char *start = expect;
        while (*start) {
            const char *end = strchr(start, ',');
            size_t piece = end ? (size_t)(end - start) : strlen(start);
            while (piece > 0 && isspace((unsigned char)*start)) { start++; piece--; }
            while (piece > 0 && isspace((unsigned char)start[piece - 1])) piece--;
            if (piece > 0 && !contains_answer(answers, count, start, piece)) {
                hh_result_set_message(out, "%s %s → %s from %s: '%.*s' is not among them", name, type, list, where,
                                      (int)piece, start);
                return HH_FAIL;
            }
            if (!end) break;
            start = end + 1;
        }
    }
    hh_result_set_message(out, "%s %s → %s (%d answer%s) from %s in %lld ms", name, type, list, count,
                          count == 1 ? "" : "s", where, net_now_ms() - started);
    return HH_PASS;
}
