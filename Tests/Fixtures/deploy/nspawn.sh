#!/usr/bin/env bash
# Boots a real systemd in a container (systemd-nspawn) on a machine whose PID 1 is not
# systemd, runs commands in it, and stops it: the harness of SystemdUnitTests.
#
#   nspawn.sh boot STATE ROOTFS [--bind-ro SRC:DST]...   prints the container's init PID
#   nspawn.sh exec STATE COMMAND [ARG...]                runs COMMAND inside (its status)
#   nspawn.sh stop STATE                                 powers off, cleans up (always 0)
#
# STATE is a folder the caller owns: nspawn.pid, leader.pid, machine, nspawn.log.
# The flags come from the measured recipe (research/deploy-harness.md, section A):
# - --volatile=overlay: / is the ROOTFS under a tmpfs overlay, so the tree (the shared
#   cache of debian-rootfs.sh) is never written and everything installed vanishes at exit.
# - --register=no --keep-unit: there is no systemd on the host (machined, scopes).
# - --private-network: the container has a network namespace of its own with only `lo`,
#   so the packaged config's 127.0.0.1:8080 is the container's own and collides with
#   nothing on the host; the tests talk to it from inside (curl through `exec`).
# - No machinectl / systemd-run -M (they need the host's bus): `exec` is nsenter on the
#   container's init, found as the `systemd` process below nspawn (nspawn forks twice).
# Every wait is bounded; `stop` sends SIGTERM to nspawn by its PID (a clean poweroff,
# ~0.2 s), SIGKILL after 10 s, and removes what nspawn leaves in /run/systemd/nspawn.
set -euo pipefail

usage() { echo "usage: nspawn.sh boot STATE ROOTFS [--bind-ro SRC:DST]... | exec STATE CMD... | stop STATE" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1 state=$2
shift 2
inside_path=/usr/sbin:/usr/bin:/sbin:/bin

leader() { cat "$state/leader.pid"; }

inside() {
  nsenter -t "$(leader)" -m -u -i -n -p -- env -i PATH="$inside_path" LANG=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER= "$@"
}

stop() {
  local pid machine
  pid=$(cat "$state/nspawn.pid" 2>/dev/null || true)
  machine=$(cat "$state/machine" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  if [ -n "$machine" ]; then
    rm -rf "/run/systemd/nspawn/propagate/$machine" 2>/dev/null || true
  fi
  rm -f "$state/nspawn.pid" "$state/leader.pid"
}

case "$action" in
  boot)
    [ $# -ge 1 ] || usage
    rootfs=$1
    shift
    binds=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --bind-ro) binds+=("--bind-ro=$2"); shift 2 ;;
        *) usage ;;
      esac
    done
    mkdir -p "$state"
    machine="hh-$(basename "$state" | tr -c 'a-zA-Z0-9-\n' '-' | cut -c1-40)"
    echo "$machine" >"$state/machine"
    # nspawn outlives this script: it must hold no descriptor of the caller but the log.
    # (Foundation's Process hands its child one end of a socket pair and sees the exit
    # only when every holder has closed it: an nspawn holding it hangs the caller.)
    (
      for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
      done
      exec setsid systemd-nspawn -D "$rootfs" --boot --register=no --keep-unit --machine="$machine" \
        --volatile=overlay --private-network --console=pipe "${binds[@]}"
    ) >"$state/nspawn.log" 2>&1 </dev/null &
    echo $! >"$state/nspawn.pid"
    nspawn=$(cat "$state/nspawn.pid")
    found=
    for _ in $(seq 1 100); do
      children=$(pgrep -d, -P "$nspawn" 2>/dev/null || true)
      found=
      [ -n "$children" ] && found=$(pgrep -x systemd -P "$children" 2>/dev/null | head -1 || true)
      [ -z "$found" ] && found=$(pgrep -x systemd -P "$nspawn" 2>/dev/null | head -1 || true)
      [ -n "$found" ] && break
      kill -0 "$nspawn" 2>/dev/null || break
      sleep 0.1
    done
    if [ -z "$found" ]; then
      echo "nspawn.sh: no systemd in the container after 10 s; nspawn said:" >&2
      cat "$state/nspawn.log" >&2
      stop
      exit 1
    fi
    echo "$found" >"$state/leader.pid"
    status=
    for _ in $(seq 1 300); do
      status=$(inside systemctl is-system-running 2>/dev/null || true)
      case "$status" in running | degraded) break ;; esac
      sleep 0.1
    done
    case "$status" in
      running | degraded) echo "$found" ;;
      *)
        echo "nspawn.sh: the container's systemd is '$status' after 30 s; nspawn said:" >&2
        cat "$state/nspawn.log" >&2
        stop
        exit 1
        ;;
    esac
    ;;
  exec)
    [ $# -ge 1 ] || usage
    [ -s "$state/leader.pid" ] || { echo "nspawn.sh: no container booted in $state" >&2; exit 1; }
    inside "$@"
    ;;
  stop)
    stop
    ;;
  *) usage ;;
esac
