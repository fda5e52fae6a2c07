#!/usr/bin/env bash
# System setup the tests need (Debian packages, daemons, buses), run before
# every build and test by tools/ci/test-all.sh. Each resource family that
# needs something from the machine has its own script in tools/ci/setup/;
# they run in name order and must be idempotent (fast when all is in place).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for script in setup/*.sh; do
  [ -e "$script" ] || continue
  echo "setup: $script"
  bash "$script"
done
