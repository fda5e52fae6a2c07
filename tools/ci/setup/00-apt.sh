#!/usr/bin/env bash
# Installs Debian packages listed by the other setup scripts in
# tools/ci/setup/*.packages (one name per line), in one apt-get run, only
# when some are missing. Needs root (as CI and the dev machines run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
wanted=$(cat ./*.packages 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
[ -n "$wanted" ] || exit 0
missing=()
for package in $wanted; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Several sessions may install at once on a developer machine: serialise.
exec 9>/tmp/converge-apt.lock
flock 9
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
