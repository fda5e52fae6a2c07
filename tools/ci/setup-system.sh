#!/usr/bin/env bash
# System setup the tests need (daemons, Debian packages, buses), run before
# every build and test by tools/ci/test-all.sh. Later resource packages add
# their steps here (e.g. starting the system D-Bus for res-pkg); for now
# nothing is needed.
set -euo pipefail
exit 0
