#!/usr/bin/env bash
# Distributed training through torchrun (environment: see tools/torchrun.sh):
#   [NNODES=1 NODE_RANK=0 MASTER_ADDR=127.0.0.1 PORT=29500 PYTHON=python] \
#     bash tools/dist_train.sh CONFIG GPUS [train.py args]
# GPUS processes per node; without CUDA they train on CPU with the gloo backend.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py args]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/torchrun.sh" "$GPUS" "$TOOLS/train.py" "$CONFIG" --launcher pytorch "$@"
