#!/usr/bin/env bash
# Starts a private Docker engine for the res-docker tests (Debian's docker.io;
# no systemd here, so it is started by hand, detached, logging to /tmp) and
# makes the tiny offline test image they use. Idempotent: fast when the
# daemon answers and the image is there. No registry is reachable from these
# machines, so the image is built from Debian's static busybox and imported.
set -euo pipefail

socket=${CONVERGE_TEST_DOCKER_SOCKET:-/run/converge-test/docker.sock}
state=${CONVERGE_TEST_DOCKER_STATE:-/var/lib/converge-test/docker}
run_dir=$(dirname "$socket")
image=converge-test/busybox:1
log=/tmp/converge-dockerd.log
# Debian's client matches the daemon's API; another `docker` may come first in PATH.
docker_cli=/usr/bin/docker
docker() { "$docker_cli" -H "unix://$socket" "$@"; }

if ! command -v dockerd >/dev/null || [ ! -x "$docker_cli" ]; then
  echo "setup: dockerd or $docker_cli missing (docker.io is listed in docker.packages)" >&2
  exit 1
fi

if ! docker version >/dev/null 2>&1; then
  mkdir -p "$run_dir" "$state/data" "$run_dir/docker-exec"
  pidfile="$run_dir/docker.pid"
  # A pidfile left by a daemon that died makes dockerd refuse to start.
  if [ -e "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  # Likewise containerd's, once its pid is no containerd's (gone, or reused by
  # another process): dockerd would take it for running and wait for its socket.
  containerd_pid="$run_dir/docker-exec/containerd/containerd.pid"
  if [ -e "$containerd_pid" ] && [ "$(cat "/proc/$(cat "$containerd_pid")/comm" 2>/dev/null)" != containerd ]; then rm -f "$containerd_pid"; fi
  rm -f "$socket"
  echo "setup: starting dockerd on $socket (log: $log)"
  setsid nohup dockerd \
    -H "unix://$socket" \
    --data-root="$state/data" \
    --exec-root="$run_dir/docker-exec" \
    --pidfile="$pidfile" \
    --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
    >"$log" 2>&1 </dev/null &
  for _ in $(seq 1 150); do
    docker version >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! docker version >/dev/null 2>&1; then
    echo "setup: dockerd did not answer on $socket within 30 s; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi

if ! docker image inspect "$image" >/dev/null 2>&1; then
  echo "setup: building $image offline from busybox-static"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
  done
  tar -C "$work/rootfs" -cf "$work/busybox.tar" .
  docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' "$work/busybox.tar" "$image" >/dev/null
fi
