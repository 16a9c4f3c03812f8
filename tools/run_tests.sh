#!/usr/bin/env bash
# Set up everything the test suite needs (see tools/setup_env.sh), lint with ruff, check the import contracts
# (import-linter) and run the suite.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash tools/setup_env.sh tests,export)   # export: onnx + onnxruntime for the ONNX parity tests
"$py" -m ruff check .            # lint the whole tree (rules in pyproject.toml)
"$py" -m ruff format --check .   # and its formatting (`ruff format .` fixes it)
"$py" -c "from importlinter.cli import lint_imports_command as c; c()" --no-cache   # import contracts: layers point down, torch-free core, no cycles (pyproject.toml)
exec "$py" -m pytest -q "$@"
