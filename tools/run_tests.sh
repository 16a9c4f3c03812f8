#!/usr/bin/env bash
# Set up everything the test suite needs (see tools/setup_env.sh), lint with ruff and run the suite.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash tools/setup_env.sh tests)
"$py" -m ruff check .   # lint the whole tree (rules in pyproject.toml)
exec "$py" -m pytest -q "$@"
