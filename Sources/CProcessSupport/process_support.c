#define _GNU_SOURCE
#include "process_support.h"
#include <sys/prctl.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

int hh_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

int hh_spawn_file_actions_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int hh_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
