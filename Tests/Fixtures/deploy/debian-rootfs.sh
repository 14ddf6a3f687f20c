#!/usr/bin/env bash
# Builds (once) a Debian bookworm root file system that boots a real systemd under
# systemd-nspawn and can install the healthhost .debs: the base image of the deployment tests.
#
#   Tests/Fixtures/deploy/debian-rootfs.sh [--cache DIR] [--print-packages] [EXTRA_PACKAGE...]
#
# Interface (used by SystemdUnitTests through nspawn.sh, and by the container-image test):
# - stdout: exactly one line, the absolute path of the finished rootfs, e.g.
#     /var/tmp/healthhost-deploy/rootfs-bookworm-3f1c2a9b0d7e
#   Everything else (debootstrap's output) goes to ROOTFS.log beside it; on failure the log's
#   tail is copied to stderr and the exit status is non-zero (124: debootstrap timed out).
# - The path is stable: rootfs-bookworm-<first 12 hex of sha256(suite, variant, package list)>
#   under --cache (default $HEALTHHOST_DEPLOY_CACHE or /var/tmp/healthhost-deploy). The same
#   package list gives the same path on every run and machine; a changed list gives a new one.
# - Idempotent: a finished rootfs holds .healthhost-rootfs-complete (the package list). If it
#   is there the script only prints the path (~0.01 s); otherwise it builds into a temporary
#   directory and renames it into place, so a half-built tree is never returned. Concurrent
#   callers serialise on flock(CACHE/.lock), the second one then finds the finished tree.
# - Read it, never boot it writable: nspawn with --volatile=overlay, or copy it. For an image:
#     tar -C "$ROOTFS" -c --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* . \
#       | podman import --change 'CMD ["/bin/bash"]' - localhost/healthhost-bookworm:base
# - Needs root, debootstrap and the Debian mirror ($HEALTHHOST_DEBIAN_MIRROR, default
#   http://deb.debian.org/debian). Bounded: debootstrap gets $HEALTHHOST_ROOTFS_TIMEOUT
#   seconds (default 600; measured 63-80 s cold on a 2-vCPU machine, ~300 MB).
#
# The packages: systemd as PID 1 (systemd, systemd-sysv, dbus), tools the tests run inside
# (iproute2, curl, procps), adduser for the postinst, the libraries the healthhost .debs
# depend on (their control files compute Depends from what the binaries link: libffi8,
# libyaml-0-2, libnettle8, zlib1g, libcurl4, libpq5, libmariadb3) so `dpkg -i` needs no
# network, and monitoring-plugins-basic for the Nagios checks (check_procs, check_disk,
# check_load, check_tcp, check_http). EXTRA_PACKAGEs are added to the list (and the hash).
set -euo pipefail

suite=bookworm
variant=minbase
packages=(systemd systemd-sysv dbus iproute2 curl procps adduser
  libffi8 libyaml-0-2 libnettle8 zlib1g libcurl4 libpq5 libmariadb3
  monitoring-plugins-basic)
cache=${HEALTHHOST_DEPLOY_CACHE:-/var/tmp/healthhost-deploy}
mirror=${HEALTHHOST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
limit=${HEALTHHOST_ROOTFS_TIMEOUT:-600}
print_packages=no
while [ $# -gt 0 ]; do
  case "$1" in
    --cache) cache="$2"; shift 2 ;;
    --print-packages) print_packages=yes; shift ;;
    -*) echo "debian-rootfs.sh: unknown option '$1' (expected --cache DIR, --print-packages, package names)" >&2; exit 2 ;;
    *) packages+=("$1"); shift ;;
  esac
done
list=$(printf '%s\n' "${packages[@]}" | sort -u | paste -sd, -)
if [ "$print_packages" = yes ]; then echo "$list"; exit 0; fi

[ "$(id -u)" = 0 ] || { echo "debian-rootfs.sh: needs root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian-rootfs.sh: needs debootstrap (scripts/setup)" >&2; exit 1; }

hash=$(printf '%s\n%s\n%s\n' "$suite" "$variant" "$list" | sha256sum | cut -c1-12)
rootfs="$cache/rootfs-$suite-$hash"
marker="$rootfs/.healthhost-rootfs-complete"
log="$rootfs.log"
mkdir -p "$cache"

exec 9>"$cache/.lock"
timeout 900 flock 9 || { echo "debian-rootfs.sh: another build held $cache/.lock for 15 minutes" >&2; exit 1; }
if [ -e "$marker" ]; then echo "$rootfs"; exit 0; fi

work="$rootfs.partial"
rm -rf "$work" "$rootfs"
started=$(date +%s.%N)
{
  echo "debootstrap --variant=$variant --include=$list $suite $work $mirror"
} >"$log"
status=0
timeout --kill-after=10 "$limit" debootstrap --variant="$variant" --include="$list" \
  "$suite" "$work" "$mirror" >>"$log" 2>&1 || status=$?
if [ "$status" != 0 ]; then
  echo "debian-rootfs.sh: debootstrap failed (status $status; log $log):" >&2
  tail -n 20 "$log" >&2
  rm -rf "$work"
  exit "$status"
fi
# What the image needs beyond debootstrap: a hostname, no downloaded .debs, an empty
# machine-id (systemd makes one per boot, so every container gets its own).
echo healthhost-ct >"$work/etc/hostname"
rm -f "$work"/var/cache/apt/archives/*.deb
: >"$work/etc/machine-id"
printf '%s\n' "$list" >"$work/.healthhost-rootfs-complete"
mv "$work" "$rootfs"
finished=$(date +%s.%N)
echo "built in $(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.1f", b - a }') s, $(du -sm "$rootfs" | cut -f1) MB" >>"$log"
echo "$rootfs"
