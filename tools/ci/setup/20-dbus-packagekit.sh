#!/usr/bin/env bash
# res-pkg: a system D-Bus and PackageKit, without systemd. Starts
# `dbus-daemon --system` when it is not running (removing a stale pid file a
# dead bus left behind), then makes sure packagekitd answers on the bus: it is
# normally activated by the bus on first call; if activation does not work it
# is started by hand, detached, with its idle timer off. Idempotent and fast
# when both already run. Logs go to /tmp/converge-dbus.log and
# /tmp/converge-packagekitd.log.
set -euo pipefail

bus_socket=/run/dbus/system_bus_socket
pid_file=/run/dbus/pid

bus_alive() {
  [ -S "$bus_socket" ] && dbus-send --system --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}

packagekit_alive() {
  timeout 20 dbus-send --system --print-reply --dest=org.freedesktop.PackageKit /org/freedesktop/PackageKit \
    org.freedesktop.DBus.Properties.Get string:org.freedesktop.PackageKit string:VersionMajor >/dev/null 2>&1
}

if ! bus_alive; then
  if [ -f "$pid_file" ] && ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    rm -f "$pid_file"
  fi
  mkdir -p /run/dbus
  # A socket without a live bus (pid file gone, daemon dead) blocks the new bus.
  [ -f "$pid_file" ] || rm -f "$bus_socket"
  dbus-daemon --system --fork >>/tmp/converge-dbus.log 2>&1
  for _ in $(seq 50); do bus_alive && break; sleep 0.1; done
  bus_alive || { echo "setup: the system D-Bus did not start (see /tmp/converge-dbus.log)" >&2; exit 1; }
fi

# The bus activates packagekitd (and polkitd) on the first call to it.
if ! packagekit_alive; then
  echo "setup: bus activation of packagekitd failed; starting it by hand" >&2
  setsid /usr/libexec/packagekitd --disable-timer </dev/null >>/tmp/converge-packagekitd.log 2>&1 &
  for _ in $(seq 100); do packagekit_alive && break; sleep 0.2; done
  packagekit_alive || { echo "setup: packagekitd does not answer on the system bus (see /tmp/converge-packagekitd.log)" >&2; exit 1; }
fi
