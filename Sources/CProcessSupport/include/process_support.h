// What Swift cannot call directly on Linux: variadic prctl and glibc's _np spawn action.
#ifndef HEALTHHOST_PROCESS_SUPPORT_H
#define HEALTHHOST_PROCESS_SUPPORT_H

#include <spawn.h>

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to this process when the
/// thread that created it exits. Returns 0 or -1 (errno set).
int hh_set_parent_death_signal(int signal);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): close every descriptor from
/// `lowest` up in the child. Returns 0 or an error number.
int hh_spawn_file_actions_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// pipe2(fds, O_CLOEXEC). Returns 0 or -1 (errno set).
int hh_pipe_cloexec(int fds[2]);

#endif
