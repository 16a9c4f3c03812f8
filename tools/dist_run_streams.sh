#!/usr/bin/env bash
# Train, test and fuse the j / b / jm / bm stream configs of one folder (`pyskl streams`):
#   [PORT=29500 PYTHON=python] bash tools/dist_run_streams.sh CONFIG_DIR GPUS \
#       [--work-root DIR] [--streams j b ...] [--seed 0] [--deterministic] [--amp] [--auto-scale-lr]
#       [--no-validate] [--cfg-options k=v ...]
# GPUS=1 runs every stream in one python process, GPUS>1 one torchrun launch per stream (gloo on CPU).
# Finished streams (their checkpoint holds the config's last epoch) are not retrained, unfinished ones resume;
# tests are skipped when result.pkl / dump.pkl hold the test split's predictions.
# Work dirs: work_dirs/<CONFIG_DIR relative to configs>/<stream> unless --work-root is given.
# Prints each stream's and the 2-stream (J:B 1:1) / 4-stream (2:2:1:1) fused accuracies.
# See pyskl/cli/streams.py and pyskl/apis/streams.py.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG_DIR GPUS [--work-root DIR] [--streams j b ...] [train options]" >&2
    exit 2
fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/tools/python_env.sh"
exec "$PY" -m pyskl.cli.streams "$@"
