#!/usr/bin/env bash
# Set up everything the test suite needs (see tools/setup_env.sh) and run it.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash tools/setup_env.sh tests)
exec "$py" -m pytest -q "$@"
