/* acme: a third-party plugin as a vendor would ship it, built outside this project with
 * only the public header; the Kubernetes and container tests deliver it into a pod (an
 * init container's copy, a derived image) and serve its check from a worker. */
#define _POSIX_C_SOURCE 200809L
#include "healthhost_plugin.h"

#include <unistd.h>

static int queue(const hh_call *call, hh_result *out) {
    (void)call;
    hh_result_set_message(out, "acme queue drained in pid %ld", (long)getpid());
    return HH_PASS;
}

static const hh_check checks[] = {
    { .name = "queue", .summary = "The acme queue is drained.", .run = queue,
      .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE },
};

static const hh_plugin plugin = {
    HH_PLUGIN_HEADER,
    .name = "acme",
    .version = "1.2.0",
    .summary = "A third-party plugin for the delivery tests.",
    HH_PLUGIN_CHECKS(checks),
};

HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }
