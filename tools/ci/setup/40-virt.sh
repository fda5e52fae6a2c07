#!/usr/bin/env bash
# res-virt: builds the @unraid/libvirt native binding and starts libvirt's
# system daemons for qemu:///system. Idempotent and fast when all is in place.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"

# `npm ci` runs before this script has installed libvirt-dev, so the root
# package.json denies @unraid/libvirt's install script (`allowScripts`): a
# fresh clone's `npm ci` would otherwise fail compiling it. The binding is
# built here instead, from source (its prebuilt download cannot be reached),
# by running the package's own install script; `npm rebuild` would honour the
# denial and skip it without a word.
binding="$repo/node_modules/@unraid/libvirt/build/Release/libvirt.node"
if [ -d "$repo/node_modules/@unraid/libvirt" ] && [ ! -f "$binding" ]; then
  echo "setup: building @unraid/libvirt against libvirt-dev"
  (cd "$repo" && npm_config_build_from_source=true npm --prefix node_modules/@unraid/libvirt run install --foreground-scripts >/tmp/converge-virt-rebuild.log 2>&1) || {
    cat /tmp/converge-virt-rebuild.log >&2
    exit 1
  }
  [ -f "$binding" ] || { cat /tmp/converge-virt-rebuild.log >&2; echo "setup: $binding was not built" >&2; exit 1; }
fi

# qemu:///system needs virtlogd (qemu's console logs) and libvirtd. Without
# systemd nothing starts them: run them detached, logging to /tmp. Also where
# qemu or KVM is missing (the qemu tests are then skipped): a URI that no
# driver serves is refused by libvirtd ("no connection driver available"),
# which the tests of an init that fails for good expect; without a daemon
# the client only says it cannot reach one, which a check waits out.
[ "$(id -u)" = 0 ] || { echo "setup: not root, libvirtd not started" >&2; exit 0; }

# Without udev, /dev/kvm stays root-only; qemu runs as libvirt-qemu (group
# kvm), so give it the group access udev's rule would.
if [ -e /dev/kvm ] && [ "$(stat -c %G /dev/kvm)" != kvm ] && getent group kvm >/dev/null; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

# Running when the pid file names a live process of that name (a pid can be
# reused by another process once the daemon is gone).
running() { [ -f "$1" ] && [ "$(cat "/proc/$(cat "$1")/comm" 2>/dev/null)" = "$2" ]; }

if ! running /run/virtlogd.pid virtlogd; then
  rm -f /run/virtlogd.pid
  virtlogd --daemon --pid-file=/run/virtlogd.pid >>/tmp/converge-virtlogd.log 2>&1
fi
if ! running /run/libvirtd.pid libvirtd; then
  rm -f /run/libvirtd.pid
  libvirtd --daemon --pid-file=/run/libvirtd.pid >>/tmp/converge-libvirtd.log 2>&1
fi
# Ready when the socket answers (usually well under a second).
for _ in $(seq 1 50); do
  virsh -c qemu:///system list --name >/dev/null 2>&1 && exit 0
  sleep 0.2
done
echo "setup: libvirtd did not answer on qemu:///system; see /tmp/converge-libvirtd.log" >&2
exit 1
