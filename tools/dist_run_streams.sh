#!/usr/bin/env bash
# Train, test and fuse the j / b / jm / bm stream configs of one folder:
#   [PORT=29500 PYTHON=python] bash tools/dist_run_streams.sh CONFIG_DIR GPUS \
#       [--work-root DIR] [--streams j b ...] [train.py args, e.g. --seed 0 --cfg-options k=v ...]
# GPUS=1 runs plain python, GPUS>1 torchrun (tools/dist_train.sh / dist_test.sh; gloo on CPU).
# Finished streams (final epoch checkpoint present) are not retrained, unfinished ones resume.
# Work dirs: work_dirs/<CONFIG_DIR relative to configs>/<stream> unless --work-root is given.
# Prints each stream's and the 2-stream (J:B 1:1) / 4-stream (2:2:1:1) fused accuracies.
# See pyskl/apis/streams.py.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG_DIR GPUS [--work-root DIR] [--streams j b ...] [train.py args]" >&2
    exit 2
fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/tools/python_env.sh"
export PYTHON=$PY
exec "$PY" -m pyskl.apis.streams "$@"
