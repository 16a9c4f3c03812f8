#!/usr/bin/env bash
# Distributed training through torchrun:
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
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NNODES=${NNODES:-1}
export NODE_RANK=${NODE_RANK:-0}
export PORT=${PORT:-29500}
export MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
export MASTER_PORT=$PORT
if [ -n "${PYTHON:-}" ]; then
    PY=$PYTHON
elif [ -x "$REPO/.venv/bin/python" ]; then
    PY="$REPO/.venv/bin/python"
else
    PY=python3
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" --nproc_per_node="$GPUS" \
    "$REPO/tools/train.py" "$CONFIG" --launcher pytorch "$@"
