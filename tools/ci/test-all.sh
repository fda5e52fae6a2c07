#!/usr/bin/env bash
# The one test command (`npm test`): prepare the system, build and test every
# package, then print one summary line of all test results.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# ---- system setup: add what the tests need from the machine in this script ----
bash tools/ci/setup-system.sh

# Old results must not be counted again if a package's tests no longer run.
rm -f packages/*/.test-results/vitest.json

# The daemon outlives the command and can serve stale project graphs in CI.
status=0
NX_DAEMON=false npx nx run-many -t build test --outputStyle=static || status=$?

node tools/ci/test-summary.mjs || status=$?
exit "$status"
